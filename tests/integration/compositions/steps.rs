//! What a composition is made of: its steps and reduction, and their strategies.

use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
pub enum Other {
    FreshVar,
    FreshConstant,
    /// An earlier intermediate (index modulo how many there are): a fork.
    Earlier(usize),
}

#[derive(Clone, Copy, Debug)]
pub enum Step {
    Neg,
    Scale(f64),
    AddScalar(f64),
    Exp,
    Tanh,
    Sigmoid,
    Softplus,
    Square,
    Abs,
    Relu,
    Sqrt,
    Ln,
    Reciprocal,
    Powi(i32),
    Powf(f64),
    Softmax,
    LogSoftmax,
    Sin,
    Cos,
    /// `atan2(x, ·)` with a positive second input: away from the origin and the branch cut.
    Atan2(Other),
    /// Clamped to [−½, ½].
    Clamp,
    TransposeTwice,
    /// (R×C)·(C×K)·(K×C): two rectangular products.
    MatMulRight,
    /// (R×K)·(K×R)·(R×C).
    MatMulLeft,
    AddRow,
    AddColumn,
    Add(Other),
    Sub(Other),
    ComponentMul(Other),
    ComponentDiv(Other),
    Maximum(Other),
    Minimum(Other),
    /// `x` stacked on `other` (2R×C), then the R×C block at row 0, 1 or R (by the index mod 3).
    VstackView(Other, usize),
    /// `x` beside `other` (R×2C), then the R×C block at column 0, 1 or C.
    HstackView(Other, usize),
    /// R×C → C×R (column-major) → transposed back to R×C: entries move.
    ReshapeTranspose,
    /// Flattened to (R·C)×1 and back.
    FlattenBack,
    /// `x` plus its own row `i mod R` added to every row (a fork through `row`).
    AddOwnRow(usize),
    /// `x` plus its own column `j mod C` added to every column.
    AddOwnColumn(usize),
}

#[derive(Clone, Copy, Debug)]
pub enum Reduction {
    Sum,
    Mean,
    NormSquared,
    Norm,
    Dot,
    Mse,
    /// Labels drawn from the seed.
    SoftmaxCrossEntropy(u64),
    SoftTargets,
    RowwiseMaxSum,
    RowSumSum,
    ColumnSumMean,
    L2Penalty(f64),
}

fn other() -> impl Strategy<Value = Other> {
    prop_oneof![
        Just(Other::FreshVar),
        Just(Other::FreshConstant),
        (0usize..8).prop_map(Other::Earlier),
    ]
}

pub fn step() -> impl Strategy<Value = Step> {
    use Step::*;
    let unary = prop_oneof![
        Just(Neg),
        (-2.0..2.0f64).prop_map(Scale),
        (-1.0..1.0f64).prop_map(AddScalar),
        Just(Exp),
        Just(Tanh),
        Just(Sigmoid),
        Just(Softplus),
        Just(Square),
        Just(Abs),
        Just(Relu),
        Just(Sqrt),
        Just(Ln),
        Just(Reciprocal),
        (-2i32..=3).prop_map(Powi),
        (-1.5..2.5f64).prop_map(Powf),
        Just(Softmax),
        Just(LogSoftmax),
        Just(Sin),
        Just(Cos),
        Just(Clamp),
    ];
    let structural = prop_oneof![
        Just(TransposeTwice),
        Just(MatMulRight),
        Just(MatMulLeft),
        Just(AddRow),
        Just(AddColumn),
        Just(ReshapeTranspose),
        Just(FlattenBack),
        (0usize..8).prop_map(AddOwnRow),
        (0usize..8).prop_map(AddOwnColumn),
        (other(), 0usize..3).prop_map(|(o, i)| VstackView(o, i)),
        (other(), 0usize..3).prop_map(|(o, j)| HstackView(o, j)),
    ];
    let binary = prop_oneof![
        other().prop_map(Add),
        other().prop_map(Sub),
        other().prop_map(ComponentMul),
        other().prop_map(ComponentDiv),
        other().prop_map(Maximum),
        other().prop_map(Minimum),
        other().prop_map(Atan2),
    ];
    prop_oneof![4 => unary, 2 => structural, 2 => binary]
}

pub fn reduction() -> impl Strategy<Value = Reduction> {
    use Reduction::*;
    prop_oneof![
        Just(Sum),
        Just(Mean),
        Just(NormSquared),
        Just(Norm),
        Just(Dot),
        Just(Mse),
        any::<u64>().prop_map(SoftmaxCrossEntropy),
        Just(SoftTargets),
        Just(RowwiseMaxSum),
        Just(RowSumSum),
        Just(ColumnSumMean),
        (0.01..1.0f64).prop_map(L2Penalty),
    ]
}
