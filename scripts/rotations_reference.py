#!/usr/bin/env python3
"""Writes tests/rotations_reference.txt: values and Jacobians of shapegrad's rotation ops at the
points where other libraries' gradients fail (the identity quaternion, SO(3) exp and log at the
identity and at tiny angles, the log a micro-radian from pi and at pi, the quaternion of a half
turn), computed in 50-digit arithmetic with mpmath, which tests/integration/rotations_regression.rs compares
the f64 and f32 ops with. Run from the repository root: python3 scripts/rotations_reference.py
(needs `pip install mpmath`).

Each op's input is a matrix of f64 numbers, written out exactly (17 significant digits); the
reference is computed from those exact inputs. Three kinds of reference:

* value: the op's result. exp's comes from mpmath's matrix exponential (not Rodrigues); the
  others from the formulas shapegrad documents, evaluated in 50 digits and cross-checked here
  against independent routes: the quaternion's matrix against expm of its axis-angle, the log
  against the textbook acos formula (exact enough in 50 digits), the quaternion of a matrix
  against (cos(θ/2), sin(θ/2)·n) of that logarithm (away from pi, where it is ambiguous).
* jacobian: d vec(out) / d vec(in), both column-major (shapegrad's MatrixJacobian::flatten),
  by central differences of step 1e-15 in 50 digits (error ~1e-30). For the log and
  rotation_to_quat this is the derivative of the branch the op returns, held fixed across the
  step (at pi every step would otherwise cross the jump between q and -q, or pi*n and -pi*n).
* tangent: for the log, d log(R exp([d]x)) / d d at d = 0, by central differences of the
  textbook log (and checked here against the closed form J_r^-1, which is used at pi itself,
  where every difference would cross the jump).
"""

import mpmath as mp

mp.mp.dps = 50
PI = mp.pi
H = mp.mpf("1e-15")


def mat(rows, cols, f):
    return mp.matrix([[f(i, j) for j in range(cols)] for i in range(rows)])


def hat(w):
    return mp.matrix([[0, -w[2], w[1]], [w[2], 0, -w[0]], [-w[1], w[0], 0]])


def vee(m):
    return [(m[2, 1] - m[1, 2]) / 2, (m[0, 2] - m[2, 0]) / 2, (m[1, 0] - m[0, 1]) / 2]


def to_f64(x):
    """The nearest f64 (mpmath rounds to nearest)."""
    return float(x)


def column_major(m):
    return [m[i, j] for j in range(m.cols) for i in range(m.rows)]


def from_column_major(values, rows, cols):
    return mat(rows, cols, lambda i, j: values[i + j * rows])


def jacobian(f, x_values, rows_in, cols_in):
    """Central differences of f (a list of values) w.r.t. each input entry, column-major."""
    columns = []
    for k in range(len(x_values)):
        plus, minus = list(x_values), list(x_values)
        plus[k] += H
        minus[k] -= H
        fp = f(from_column_major(plus, rows_in, cols_in))
        fm = f(from_column_major(minus, rows_in, cols_in))
        columns.append([(a - b) / (2 * H) for a, b in zip(fp, fm)])
    return mat(len(columns[0]), len(columns), lambda i, j: columns[j][i])


# --- the ops, in 50 digits --------------------------------------------------------------------


def so3_exp(w):
    return mp.expm(hat([w[0], w[1], w[2]]))


def quat_to_rotation(q):
    w, x, y, z = q[0], q[1], q[2], q[3]
    n2 = w * w + x * x + y * y + z * z
    m = mp.matrix(
        [
            [w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z],
        ]
    )
    return m / n2


def log_branch(r0):
    """The branch shapegrad's so3_log takes at r0, as a function held fixed near r0."""
    c0 = (r0[0, 0] + r0[1, 1] + r0[2, 2] - 1) / 2
    if c0 >= 0:

        def near(r):
            c = (r[0, 0] + r[1, 1] + r[2, 2] - 1) / 2
            v = vee(r)
            s = mp.sqrt(sum(x * x for x in v))
            g = mp.atan2(s, c) / s if s != 0 else 1 / c
            return [g * x for x in v]

        return near
    k = max(range(3), key=lambda i: (r0[i, i], -i))  # the first largest diagonal entry

    def unit_axis(r):
        c = (r[0, 0] + r[1, 1] + r[2, 2] - 1) / 2
        u = [(r[i, k] + r[k, i]) / 2 - (c if i == k else 0) for i in range(3)]
        norm = mp.sqrt(sum(x * x for x in u))
        return c, [x / norm for x in u]

    c, n = unit_axis(r0)
    sign = 1 if sum(a * b for a, b in zip(n, vee(r0))) >= 0 else -1

    def antipodal(r):
        c, n = unit_axis(r)
        t = sum(a * b for a, b in zip(n, vee(r)))
        # sign·atan2(sign·t, c), continued smoothly across t = 0 (c < 0).
        phi = sign * (PI - mp.atan(sign * t / -c))
        return [phi * x for x in n]

    return antipodal


# Shepperd's method: the products 4·q_a·q_b as (entry, entry, sign), and the diagonal signs.
PRODUCTS = {
    (0, 1): ((2, 1), (1, 2), -1),
    (0, 2): ((0, 2), (2, 0), -1),
    (0, 3): ((1, 0), (0, 1), -1),
    (1, 2): ((0, 1), (1, 0), 1),
    (1, 3): ((0, 2), (2, 0), 1),
    (2, 3): ((1, 2), (2, 1), 1),
}
DIAGONAL_SIGNS = [[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]


def quat_branch(r0):
    """The branch shapegrad's rotation_to_quat takes at r0 (pivot and sign), held fixed."""

    def square(r, p):
        return 1 + sum(DIAGONAL_SIGNS[p][i] * r[i, i] for i in range(3))

    def unsigned(r, p):
        rho = mp.sqrt(square(r, p))
        q = []
        for j in range(4):
            if j == p:
                q.append(rho / 2)
            else:
                (a, b, s) = PRODUCTS[(min(p, j), max(p, j))]
                q.append((r[a] + s * r[b]) / (2 * rho))
        return q

    p = max(range(4), key=lambda p: (square(r0, p), -p))
    negated = unsigned(r0, p)[0] < 0
    return lambda r: [-x if negated else x for x in unsigned(r, p)]


def right_jacobian_inverse(w):
    theta = mp.sqrt(sum(x * x for x in w))
    big_w = hat(w)
    if theta == 0:
        k = mp.mpf(1) / 12
    else:
        k = 1 / theta**2 - mp.cot(theta / 2) / (2 * theta)
    return mp.eye(3) + big_w / 2 + big_w * big_w * k


def textbook_log(r):
    """The textbook logarithm of a rotation: θ = acos((tr R − 1)/2), n = vee(R)/sin θ. In 50
    digits it is accurate wherever sin θ is not tiny compared with 1e-50 (mpmath's logm is not
    used: near pi it returns a non-principal, complex logarithm)."""
    c = (r[0, 0] + r[1, 1] + r[2, 2] - 1) / 2
    theta = mp.acos(max(min(c, 1), -1))
    if theta == 0:
        return [mp.mpf(0)] * 3
    return [theta / mp.sin(theta) * x for x in vee(r)]


def tangent_by_differences(r):
    """d textbook_log(R·expm([d]x)) / d d at d = 0, by central differences."""
    columns = []
    for k in range(3):
        d = [0, 0, 0]
        d[k] = H
        plus = textbook_log(r * mp.expm(hat(d)))
        d[k] = -H
        minus = textbook_log(r * mp.expm(hat(d)))
        columns.append([(a - b) / (2 * H) for a, b in zip(plus, minus)])
    return mat(3, 3, lambda i, j: columns[j][i])


# --- the cases --------------------------------------------------------------------------------

AXIS = [mp.mpf(2) / 7, mp.mpf(-3) / 7, mp.mpf(6) / 7]  # unit, no zero component


def rounded(m):
    return mat(m.rows, m.cols, lambda i, j: mp.mpf(to_f64(m[i, j])))


def exact_rotation(theta):
    return mp.expm(hat([theta * a for a in AXIS]))


def half_turn():
    n = mp.matrix(AXIS)
    return n * n.T * 2 - mp.eye(3)


lines = []


def write(kind, m):
    lines.append(f"{kind} {m.rows} {m.cols} " + " ".join(f"{to_f64(x):.17e}" for x in column_major(m)))


def case(name, op, x, value, jac, tangent=None):
    lines.append(f"case {name} {op}")
    write("input", x)
    write("value", value)
    write("jacobian", jac)
    if tangent is not None:
        write("tangent", tangent)
    lines.append("end")


# The identity quaternion and its neighbours (kornia: NaN at the identity).
for name, q in [
    ("identity", [1, 0, 0, 0]),
    ("minus_identity", [-1, 0, 0, 0]),
    ("scaled_identity", [1e-3, 0, 0, 0]),
    ("half_turn", [0, 0.6, 0, -0.8]),
    ("generic", [0.3, -0.5, 0.7, 0.1]),
]:
    x = mp.matrix([mp.mpf(v) for v in q])
    f = lambda m: column_major(quat_to_rotation(m))  # noqa: E731
    value = quat_to_rotation(x)
    v = [x[1], x[2], x[3]]
    s = mp.sqrt(sum(c * c for c in v))
    angle = 2 * mp.atan2(s, x[0])
    independent = mp.expm(hat([angle * c / s for c in v])) if s != 0 else mp.eye(3)
    assert mp.mnorm(value - independent, 1) < mp.mpf("1e-40"), name
    case(f"quat_{name}", "quat_to_rotation", x, value, jacobian(f, column_major(x), 4, 1))

# exp at and near the identity (kornia: NaN), and near and at pi.
for name, theta in [("zero", 0.0), ("tiny", 1e-8), ("pi_minus", float(PI) - 1e-6), ("pi", float(PI))]:
    w = mp.matrix([mp.mpf(to_f64(theta * a)) for a in AXIS])  # f64 inputs, exact from here
    f = lambda m: column_major(so3_exp(m))  # noqa: E731
    case(f"exp_{name}", "so3_exp", w, so3_exp(w), jacobian(f, column_major(w), 3, 1))

# log at the identity, at tiny angles, a micro-radian from pi (Sophus with Ceres: zero
# gradients) and at pi.
for name, theta in [("identity", None), ("tiny", mp.mpf("1e-8")), ("pi_minus", PI - mp.mpf("1e-6")), ("pi", PI)]:
    if theta is None:
        exact = mp.eye(3)
    elif theta == PI:
        exact = half_turn()
    else:
        exact = exact_rotation(theta)
    r = rounded(exact)
    branch = log_branch(r)
    value = mp.matrix(branch(r))
    jac = jacobian(branch, column_major(r), 3, 3)
    # J_r⁻¹ at the exact rotation's log (θ·axis; at pi the returned branch, whose largest
    # component, 6/7, is positive).
    closed = right_jacobian_inverse([0, 0, 0] if theta is None else [theta * a for a in AXIS])
    if theta == PI:
        tangent = closed
    else:
        tangent = tangent_by_differences(exact)
        # (1e-18: the textbook acos loses ~12 of the 50 digits a micro-radian from pi.)
        assert mp.mnorm(tangent - closed, 1) < mp.mpf("1e-18"), (name, tangent, closed)
        # The input is the rotation rounded to f64: our log of it is within ~1e-16 of the
        # exact rotation's.
        independent = mp.matrix(textbook_log(exact))
        assert mp.mnorm(value - independent, 1) < mp.mpf("1e-15"), (name, value, independent)
    case(f"log_{name}", "so3_log", r, value, jac, tangent)

# rotation_to_quat at the identity, near a half turn and at one.
for name, exact in [
    ("identity", mp.eye(3)),
    ("pi_minus", exact_rotation(PI - mp.mpf("1e-6"))),
    ("pi", half_turn()),
]:
    r = rounded(exact)
    branch = quat_branch(r)
    value = mp.matrix(branch(r))
    if name != "pi":
        w = textbook_log(exact)
        angle = mp.sqrt(sum(c * c for c in w))
        half = [mp.cos(angle / 2)] + [(mp.sin(angle / 2) / angle if angle else 0) * c for c in w]
        assert mp.mnorm(value - mp.matrix(half), 1) < mp.mpf("1e-15"), (name, value, half)
    case(f"to_quat_{name}", "rotation_to_quat", r, value, jacobian(branch, column_major(r), 3, 3))

with open("tests/rotations_reference.txt", "w") as out:
    out.write("# Written by scripts/rotations_reference.py (mpmath, 50 digits): per case, the f64 input and\n")
    out.write("# the op's value, Jacobian d vec(out)/d vec(in) and (log) tangent Jacobian, column-major.\n")
    out.write("\n".join(lines) + "\n")
