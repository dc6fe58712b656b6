//! The digits example's training step written by hand with nalgebra: 64 → 128 ReLU → 10,
//! weighted softmax cross-entropy, global-norm clipping, AdamW with the cosine schedule.
//! Every buffer is allocated once; products go into them with `mul_to`/`tr_mul_to` (nalgebra's
//! static kernels), or, with `gemm`, the large ones through nalgebra's `gemm` on dynamic views
//! (matrixmultiply), as careful code that knows about the blocked GEMM would.

use nalgebra::{DMatrixView, DMatrixViewMut, SMatrix};
use shapegrad::data::Batch;
use shapegrad::optim::Schedule;

use crate::digits::{B, H, I, K, Settings, Trainer};

type M<const R: usize, const C: usize> = SMatrix<f64, R, C>;

/// Parameters, or gradients, or one of Adam's moments.
pub struct Params {
    pub w1: Box<M<I, H>>,
    pub b1: M<1, H>,
    pub w2: Box<M<H, K>>,
    pub b2: M<1, K>,
}

impl Params {
    fn zeros() -> Self {
        Params {
            w1: Box::new(M::zeros()),
            b1: M::zeros(),
            w2: Box::new(M::zeros()),
            b2: M::zeros(),
        }
    }

    /// The parameters of a shapegrad model.
    pub fn of(trainer: &Trainer<'_>) -> Self {
        let mlp = &trainer.mlp;
        Params {
            w1: Box::new(mlp.hidden.weight.value()),
            b1: mlp.hidden.bias.value(),
            w2: Box::new(mlp.out.weight.value()),
            b2: mlp.out.bias.value(),
        }
    }

    /// The four matrices as slices, in one order.
    fn slices_mut(&mut self) -> [&mut [f64]; 4] {
        [
            self.w1.as_mut_slice(),
            self.b1.as_mut_slice(),
            self.w2.as_mut_slice(),
            self.b2.as_mut_slice(),
        ]
    }

    fn slices(&self) -> [&[f64]; 4] {
        [
            self.w1.as_slice(),
            self.b1.as_slice(),
            self.w2.as_slice(),
            self.b2.as_slice(),
        ]
    }
}

/// The hand-written trainer: parameters, Adam's moments, and every intermediate buffer.
pub struct Hand {
    pub params: Params,
    grads: Params,
    m: Params,
    v: Params,
    t: i32,
    settings: Settings,
    schedule: Schedule,
    gemm: bool,
    hidden: Box<M<B, H>>,
    d_hidden: Box<M<B, H>>,
    scores: M<B, K>,
    w2t: Box<M<K, H>>,
}

impl Hand {
    pub fn new(params: Params, settings: Settings, schedule: Schedule, gemm: bool) -> Self {
        Hand {
            params,
            grads: Params::zeros(),
            m: Params::zeros(),
            v: Params::zeros(),
            t: 0,
            settings,
            schedule,
            gemm,
            hidden: Box::new(M::zeros()),
            d_hidden: Box::new(M::zeros()),
            scores: M::zeros(),
            w2t: Box::new(M::zeros()),
        }
    }

    /// One training step on `batch`; returns the loss.
    #[inline(never)]
    pub fn step(&mut self, batch: &Batch<f64, B, I, K>) -> f64 {
        let p = &self.params;
        let x = &batch.inputs;
        // Forward: hidden = relu(X·W1 + b1), scores = hidden·W2 + b2.
        if self.gemm {
            gemm(
                x.as_slice(),
                (B, I),
                false,
                p.w1.as_slice(),
                (I, H),
                self.hidden.as_mut_slice(),
            );
        } else {
            x.mul_to(&*p.w1, &mut *self.hidden);
        }
        for (mut column, &b) in self.hidden.column_iter_mut().zip(p.b1.iter()) {
            column.apply(|h| *h = (*h + b).max(0.0));
        }
        self.hidden.mul_to(&*p.w2, &mut self.scores);
        // Weighted softmax cross-entropy; the scores become dScores = w_r·(P − T)/Σw.
        let total_weight: f64 = batch.weights.sum();
        let scale = if total_weight == 0.0 {
            0.0
        } else {
            1.0 / total_weight
        };
        let mut loss = 0.0;
        for r in 0..B {
            let mut row = self.scores.row_mut(r);
            row += p.b2;
            let max = row.max();
            let (w, target) = (batch.weights[r], batch.targets.row(r));
            // ℓ = Σ t·(ln Σe − (s − max)), one exponential per entry.
            let (mut sum, mut mass, mut dot) = (0.0, 0.0, 0.0);
            for c in 0..K {
                let shifted = row[c] - max;
                dot += target[c] * shifted;
                mass += target[c];
                row[c] = shifted.exp();
                sum += row[c];
            }
            loss += w * (mass * sum.ln() - dot);
            let row_scale = w * scale / sum;
            for c in 0..K {
                row[c] = row[c] * mass * row_scale - target[c] * w * scale;
            }
        }
        let d_scores = &self.scores;
        // Backward.
        self.hidden.tr_mul_to(d_scores, &mut *self.grads.w2);
        self.grads.b2 = d_scores.row_sum();
        p.w2.transpose_to(&mut *self.w2t);
        d_scores.mul_to(&*self.w2t, &mut *self.d_hidden);
        self.d_hidden.zip_apply(&*self.hidden, |d, h| {
            if h <= 0.0 {
                *d = 0.0
            }
        });
        if self.gemm {
            gemm(
                x.as_slice(),
                (B, I),
                true,
                self.d_hidden.as_slice(),
                (B, H),
                self.grads.w1.as_mut_slice(),
            );
        } else {
            x.tr_mul_to(&*self.d_hidden, &mut *self.grads.w1);
        }
        self.grads.b1 = self.d_hidden.row_sum();
        self.update();
        loss * scale
    }

    /// Global-norm clipping, then AdamW at the scheduled rate (decay first, as PyTorch).
    fn update(&mut self) {
        let s = &self.settings;
        let norm = self
            .grads
            .slices()
            .iter()
            .map(|g| g.iter().map(|x| x * x).sum::<f64>())
            .sum::<f64>()
            .sqrt();
        let clip = if norm > s.clip_norm {
            s.clip_norm / norm
        } else {
            1.0
        };
        let lr = self.schedule.rate(self.t as u64, s.lr);
        self.t += 1;
        let (beta1, beta2, eps): (f64, f64, f64) = (0.9, 0.999, 1e-8);
        let m_correction = 1.0 - beta1.powi(self.t);
        let v_correction = 1.0 - beta2.powi(self.t);
        let keep = 1.0 - lr * s.weight_decay;
        let grads = self.grads.slices();
        let params = self.params.slices_mut();
        let ms = self.m.slices_mut();
        let vs = self.v.slices_mut();
        for (((w, g), m), v) in params.into_iter().zip(grads).zip(ms).zip(vs) {
            for (((w, &g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                let g = g * clip;
                *w *= keep;
                *m = beta1 * *m + (1.0 - beta1) * g;
                *v = beta2 * *v + (1.0 - beta2) * g * g;
                *w -= lr * (*m / m_correction) / ((*v / v_correction).sqrt() + eps);
            }
        }
    }
}

/// `c = a·b` (a stored r×k) or `c = aᵀ·b` (a stored k×r) through nalgebra's `gemm` on
/// dynamic views, which calls matrixmultiply; the transpose is a swap of strides.
fn gemm(
    a: &[f64],
    (ar, ac): (usize, usize),
    transposed: bool,
    b: &[f64],
    (br, bc): (usize, usize),
    c: &mut [f64],
) {
    // Column-major (a stored ar×ac): strides (1, ar); its transpose: (ar, 1).
    let a = if transposed {
        DMatrixView::from_slice_with_strides(a, ac, ar, ar, 1)
    } else {
        DMatrixView::from_slice_with_strides(a, ar, ac, 1, ar)
    };
    let b = DMatrixView::from_slice_with_strides(b, br, bc, 1, br);
    let mut c = DMatrixViewMut::from_slice(c, a.nrows(), bc);
    c.gemm(1.0, &a, &b, 0.0);
}
