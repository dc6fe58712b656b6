// generic code stacking R rows on R rows needs the bound Const<R>: Plus<R, Output = Const<S>>
use shapegrad::Var;

pub fn twice<'g, const R: usize, const S: usize>(x: Var<'g, f64, R, 2>) -> Var<'g, f64, S, 2> {
    x.vstack(x)
}

fn main() {}
