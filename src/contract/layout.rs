//! The crate's only `unsafe` code: an R×C matrix read and written in place inside a flat
//! buffer of scalars, and a boxed buffer of R·C scalars turned into a boxed matrix.
//!
//! A graph keeps every value (and every gradient) in one `Vec<T>`, each node's matrix at an
//! offset fixed when the node is created. The ops are written against `&SMatrix<T, R, C>` and
//! `&mut SMatrix<T, R, C>`; [`matrix`] and [`matrix_mut`] give those references into the
//! buffer, without a copy and without a checked downcast.
//!
//! Why not nalgebra's views (`SMatrixView::from_slice`), which are safe? A view is a raw
//! pointer, so the compiler loses the fact that an op's output does not alias its inputs, and
//! small kernels stop vectorising. `cargo bench -p shapegrad-benches --bench storage` runs the ops' kernels on the
//! same entries of one buffer both ways; views over references, one run on this project's
//! 2-core machine: 4×4·4×4 product 1.39, 4×4 Aᵀ·B 2.33, 4×4 element-wise select 2.50;
//! 5×10·10×3 product 1.09, Aᵀ·B 1.51, select 1.78; 16×16 product 1.07, Aᵀ·B 0.90, select 1.82.
//!
//! # Invariants
//!
//! * `SMatrix<T, R, C>` is `Matrix<T, Const<R>, Const<C>, ArrayStorage<T, R, C>>`:
//!   `#[repr(C)]` with the storage as its only non-zero-sized field, and `ArrayStorage` is
//!   `#[repr(transparent)]` over `[[T; R]; C]`. So it has the size, the alignment and the
//!   column-major layout of `R·C` consecutive `T`s. Each function asserts size and alignment at
//!   compile time, so a future nalgebra that changed its layout fails to build instead of
//!   misreading memory.
//! * The slice is cut to exactly `R·C` entries first (a checked slice, which panics if the
//!   buffer is too short), so the reference covers memory the slice owns, with the slice's
//!   lifetime and mutability: the borrow checker sees the same borrows as for the slice.
//! * `T` is a `Copy` scalar with no invalid bit patterns reachable here: every entry was
//!   written as a `T`.

#![allow(unsafe_code)]

use nalgebra::SMatrix;

/// Size and alignment of `SMatrix<T, R, C>` are those of `[T; R·C]`.
const fn same_layout<T, const R: usize, const C: usize>() -> bool {
    size_of::<SMatrix<T, R, C>>() == R * C * size_of::<T>()
        && align_of::<SMatrix<T, R, C>>() == align_of::<T>()
}

/// The first `R·C` entries of `flat` as an R×C matrix (column-major).
///
/// # Panics
/// If `flat` has fewer than `R·C` entries.
#[inline(always)]
pub(crate) fn matrix<T, const R: usize, const C: usize>(flat: &[T]) -> &SMatrix<T, R, C> {
    const {
        assert!(
            same_layout::<T, R, C>(),
            "nalgebra changed SMatrix's layout"
        )
    };
    let flat = &flat[..R * C];
    // SAFETY: `flat` holds exactly R·C initialised `T`s, aligned for `T`, and SMatrix<T, R, C>
    // has the same size, alignment and layout (the module's invariants, asserted above); the
    // returned reference borrows `flat` for its lifetime, shared.
    unsafe { &*flat.as_ptr().cast::<SMatrix<T, R, C>>() }
}

/// The first `R·C` entries of `flat` as an R×C matrix (column-major), mutably.
///
/// # Panics
/// If `flat` has fewer than `R·C` entries.
#[inline(always)]
pub(crate) fn matrix_mut<T, const R: usize, const C: usize>(
    flat: &mut [T],
) -> &mut SMatrix<T, R, C> {
    const {
        assert!(
            same_layout::<T, R, C>(),
            "nalgebra changed SMatrix's layout"
        )
    };
    let flat = &mut flat[..R * C];
    // SAFETY: as in `matrix`; the reference borrows `flat` exclusively for its lifetime, so
    // nothing else can read or write these entries meanwhile.
    unsafe { &mut *flat.as_mut_ptr().cast::<SMatrix<T, R, C>>() }
}

/// `R·C` entries (column-major) moved into a boxed R×C matrix, without passing the matrix
/// through the stack: the allocation of the entries becomes the matrix's.
///
/// # Panics
/// If `entries` does not hold exactly `R·C` entries.
pub(crate) fn boxed<T, const R: usize, const C: usize>(entries: Box<[T]>) -> Box<SMatrix<T, R, C>> {
    const {
        assert!(
            same_layout::<T, R, C>(),
            "nalgebra changed SMatrix's layout"
        )
    };
    assert_eq!(
        entries.len(),
        R * C,
        "shapegrad internal error: a {R}×{C} matrix from {} entries",
        entries.len()
    );
    let raw = Box::into_raw(entries).cast::<SMatrix<T, R, C>>();
    // SAFETY: `raw` owns an allocation made for exactly R·C initialised `T`s, whose layout
    // (size R·C·size_of::<T>(), alignment of T) is the layout of SMatrix<T, R, C> (asserted
    // above), and those entries are the matrix's column-major entries: the box may own and
    // free it as a matrix. For R·C = 0 both are dangling, well-aligned and never freed.
    unsafe { Box::from_raw(raw) }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix2x3, SMatrix};

    use super::{boxed, matrix, matrix_mut, same_layout};

    #[test]
    fn entries_become_a_boxed_matrix_column_major_and_empty_ones_too() {
        let m: Box<Matrix2x3<f64>> = boxed((0..6).map(f64::from).collect());
        assert_eq!(*m, Matrix2x3::new(0.0, 2.0, 4.0, 1.0, 3.0, 5.0));
        let empty: Box<SMatrix<f32, 0, 3>> = boxed(Box::new([]));
        assert_eq!(empty.len(), 0);
        let big: Box<SMatrix<f64, 300, 300>> = boxed(vec![1.5; 90_000].into_boxed_slice());
        assert_eq!(big[(299, 299)], 1.5);
    }

    #[test]
    #[should_panic(expected = "a 2×3 matrix from 5 entries")]
    fn the_wrong_number_of_entries_panics() {
        let _: Box<Matrix2x3<f64>> = boxed(vec![0.0; 5].into_boxed_slice());
    }

    #[test]
    fn a_matrix_in_a_buffer_reads_its_entries_column_major_at_its_offset() {
        let flat: Vec<f64> = (0..10).map(f64::from).collect();
        let m: &Matrix2x3<f64> = matrix(&flat[3..]);
        assert_eq!(*m, Matrix2x3::new(3.0, 5.0, 7.0, 4.0, 6.0, 8.0));
    }

    #[test]
    fn writes_through_the_mutable_matrix_land_in_the_buffer_and_nowhere_else() {
        let mut flat = vec![0.0_f32; 8];
        let m: &mut SMatrix<f32, 3, 2> = matrix_mut(&mut flat[1..]);
        *m = SMatrix::<f32, 3, 2>::from_fn(|r, c| (1 + r + 3 * c) as f32);
        m[(2, 1)] = 60.0;
        assert_eq!(flat, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 60.0, 0.0]);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn a_buffer_too_short_panics_instead_of_reading_past_its_end() {
        let flat = [1.0_f64; 5];
        let _: &Matrix2x3<f64> = matrix(&flat);
    }

    #[test]
    fn empty_matrices_and_other_scalars_have_the_layout_of_their_entries() {
        assert!(same_layout::<f64, 0, 7>() && same_layout::<f32, 5, 0>());
        assert!(same_layout::<u8, 3, 3>() && same_layout::<[f64; 3], 2, 2>());
        let empty: &SMatrix<f64, 0, 4> = matrix(&[]);
        assert_eq!(empty.len(), 0);
    }

    #[test]
    fn references_keep_the_alignment_of_the_scalar() {
        let flat = vec![0.5_f64; 33];
        for offset in 0..8 {
            let m: &SMatrix<f64, 5, 5> = matrix(&flat[offset..]);
            assert_eq!(m.as_ptr() as usize % align_of::<f64>(), 0);
            assert_eq!(m.sum(), 12.5);
        }
    }
}
