//! `GradSlot`: where an op's `backward_into` writes one input's gradient.

use nalgebra::SMatrix;

use crate::kernels::Real;

/// The gradient buffer of one input during a backward pass, handed to
/// [`Op::backward_into`](crate::Op::backward_into).
///
/// Gradients add where a value is used more than once, but the graph does not zero its
/// buffers before a pass: the first contribution of a pass *overwrites* the buffer (which
/// still holds the previous pass's gradient) and later contributions add to it. Every method
/// here does the right one of the two, so an op never needs to know which use it is.
///
/// * [`GradSlot::add`] adds a computed gradient;
/// * [`GradSlot::add_map`] and [`GradSlot::add_zip_map`] add an element-wise expression
///   without a temporary matrix;
/// * [`GradSlot::into_parts`] gives the raw matrix and whether to add to it, for kernels that
///   take an accumulate flag (such as a GEMM's β).
///
/// A slot that an op leaves untouched counts as a zero contribution.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::GradSlot;
///
/// let mut buffer = Matrix1x2::new(f64::NAN, f64::NAN); // stale contents
/// let mut written = false;
/// GradSlot::new(&mut buffer, &mut written).add(&Matrix1x2::new(1.0, 2.0)); // overwrites
/// GradSlot::new(&mut buffer, &mut written).add_map(&Matrix1x2::new(3.0, 4.0), |x| 10.0 * x);
/// assert_eq!(buffer, Matrix1x2::new(31.0, 42.0));
/// assert!(written);
/// ```
#[derive(Debug)]
pub struct GradSlot<'a, T: Real, const R: usize, const C: usize> {
    matrix: &'a mut SMatrix<T, R, C>,
    /// Whether `matrix` holds a contribution of the current pass: writes add to it if so,
    /// overwrite it if not, and set it.
    written: &'a mut bool,
}

impl<'a, T: Real, const R: usize, const C: usize> GradSlot<'a, T, R, C> {
    /// A slot over `matrix`. `written` says whether `matrix` already holds a contribution of
    /// this pass (then writes add to it) or stale contents (then the first write overwrites
    /// them); any write sets it to `true`.
    ///
    /// A graph makes its slots the same way: before a backward pass runs, it decides once per
    /// root which use of each value comes first (its slot starts with `written == false`) and
    /// which come later (`true`), and after an op's `backward_into` it zeroes a first-use slot
    /// whose flag is still `false`, so an untouched slot counts as a zero contribution.
    ///
    /// ```
    /// let mut d = nalgebra::Matrix1::new(5.0);
    /// let mut written = true; // 5 is a contribution: add to it
    /// shapegrad::GradSlot::new(&mut d, &mut written).add(&nalgebra::Matrix1::new(1.0));
    /// assert_eq!(d[0], 6.0);
    /// ```
    #[inline(always)]
    pub fn new(matrix: &'a mut SMatrix<T, R, C>, written: &'a mut bool) -> Self {
        GradSlot { matrix, written }
    }

    /// The buffer, and `true` if the caller must add to it or `false` if it must overwrite it
    /// (its contents are stale). The slot counts as written afterwards.
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// let (mut d, mut written) = (Matrix2::repeat(f64::NAN), false);
    /// let (matrix, add) = shapegrad::GradSlot::new(&mut d, &mut written).into_parts();
    /// assert!(!add);
    /// matrix.gemm(1.0, &Matrix2::identity(), &Matrix2::repeat(2.0), if add { 1.0 } else { 0.0 });
    /// assert_eq!(d, Matrix2::repeat(2.0));
    /// ```
    #[inline(always)]
    pub fn into_parts(self) -> (&'a mut SMatrix<T, R, C>, bool) {
        (self.matrix, std::mem::replace(self.written, true))
    }

    /// Adds `grad`.
    ///
    /// ```
    /// let (mut d, mut written) = (nalgebra::Matrix1::new(f64::NAN), false);
    /// shapegrad::GradSlot::new(&mut d, &mut written).add(&nalgebra::Matrix1::new(2.0));
    /// assert_eq!(d[0], 2.0);
    /// ```
    #[inline]
    pub fn add(self, grad: &SMatrix<T, R, C>) {
        self.add_map(grad, |g| g);
    }

    /// Adds `f(x)` for each entry `x` of `m`.
    ///
    /// ```
    /// use nalgebra::Matrix1x2;
    /// let (mut d, mut written) = (Matrix1x2::new(1.0, 1.0), true);
    /// let m = Matrix1x2::new(2.0, 3.0);
    /// shapegrad::GradSlot::new(&mut d, &mut written).add_map(&m, |x| x * x);
    /// assert_eq!(d, Matrix1x2::new(5.0, 10.0));
    /// ```
    #[inline]
    pub fn add_map(self, m: &SMatrix<T, R, C>, f: impl Fn(T) -> T) {
        let (out, add) = self.into_parts();
        let pairs = out.as_mut_slice().iter_mut().zip(m.as_slice());
        if add {
            pairs.for_each(|(o, &x)| *o += f(x));
        } else {
            pairs.for_each(|(o, &x)| *o = f(x));
        }
    }

    /// Adds `f(a, b)` for each pair of entries of `a` and `b` at the same place.
    ///
    /// ```
    /// use nalgebra::Matrix1x2;
    /// let (mut d, mut written) = (Matrix1x2::zeros(), false);
    /// let (d_out, x) = (Matrix1x2::new(5.0, 5.0), Matrix1x2::new(-1.0, 2.0));
    /// // ReLU's backward: dOut where x > 0.
    /// shapegrad::GradSlot::new(&mut d, &mut written)
    ///     .add_zip_map(&d_out, &x, |d, x| if x > 0.0 { d } else { 0.0 });
    /// assert_eq!(d, Matrix1x2::new(0.0, 5.0));
    /// ```
    #[inline]
    pub fn add_zip_map(self, a: &SMatrix<T, R, C>, b: &SMatrix<T, R, C>, f: impl Fn(T, T) -> T) {
        let (out, add) = self.into_parts();
        let triples = out
            .as_mut_slice()
            .iter_mut()
            .zip(a.as_slice().iter().zip(b.as_slice()));
        if add {
            triples.for_each(|(o, (&a, &b))| *o += f(a, b));
        } else {
            triples.for_each(|(o, (&a, &b))| *o = f(a, b));
        }
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::Matrix2;

    use super::GradSlot;

    #[test]
    fn the_first_write_overwrites_stale_contents_even_nan_and_later_writes_add() {
        let mut d = Matrix2::repeat(f64::NAN);
        let mut written = false;
        let one = Matrix2::repeat(1.0);
        GradSlot::new(&mut d, &mut written).add_zip_map(&one, &one, |a, b| a + b);
        assert_eq!(d, Matrix2::repeat(2.0));
        assert!(written);
        GradSlot::new(&mut d, &mut written).add(&one);
        GradSlot::new(&mut d, &mut written).add_map(&one, |x| -4.0 * x);
        assert_eq!(d, Matrix2::repeat(-1.0));
    }

    #[test]
    fn into_parts_reports_add_only_after_a_write() {
        let mut d = Matrix2::<f32>::zeros();
        let mut written = false;
        assert!(!GradSlot::new(&mut d, &mut written).into_parts().1);
        assert!(GradSlot::new(&mut d, &mut written).into_parts().1);
    }
}
