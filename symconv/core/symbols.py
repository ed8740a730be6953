"""The guide's letters as sympy symbols, with the assumptions the guide makes.

Every symbol is an integer. Sizes, kernels, strides and dilations are positive;
paddings, the extra zeros ``a`` and ``n`` (for odd kernels ``k = 2n + 1``) are
nonnegative. The transposed convolution's padding ``p'`` is only an integer: it
is negative when the direct convolution pads more than ``d(k - 1)``, and then the
equivalent convolution crops instead of padding.

>>> from symconv.core.symbols import i, k, s, p
>>> (i + 2*p - k).is_integer, s.is_positive, p.is_nonnegative
(True, True, True)
"""

from __future__ import annotations

from sympy import Symbol


def _positive(name: str) -> Symbol:
    return Symbol(name, integer=True, positive=True)


def _nonnegative(name: str) -> Symbol:
    return Symbol(name, integer=True, nonnegative=True)


# The direct convolution (and pooling).
i = _positive("i")  #: input size
k = _positive("k")  #: kernel size
s = _positive("s")  #: stride
d = _positive("d")  #: dilation
o = _positive("o")  #: output size
p = _nonnegative("p")  #: symmetric zero padding
p_l = _nonnegative("p_l")  #: padding before (left/top)
p_r = _nonnegative("p_r")  #: padding after (right/bottom)
a = _nonnegative("a")  #: extra zeros after the stretched input, a in 0..s-1
n = _nonnegative("n")  #: odd kernels are k = 2n + 1

# The transposed convolution and its equivalent direct convolution.
i_prime = _positive("i'")  #: transposed input size (= the direct convolution's o)
o_prime = _positive("o'")  #: transposed output size
k_prime = _positive("k'")
s_prime = _positive("s'")
d_prime = _positive("d'")
p_prime = Symbol("p'", integer=True)  #: may be negative: cropping
i_tilde = _positive("ĩ'")  #: stretched input: i' + (s - 1)(i' - 1)

# The same quantities as a claim names them: defined values whose bounds must be
# proved, so they carry no sign. They print as o, a and o' (a user's claim says
# "o >= 1"), but with the guide's assumptions sympy would settle ``o >= 1`` or
# ``0 <= a`` while the claim is read, and a claim would be "proved" on nothing.
o_claimed = Symbol("o", integer=True)  #: the output size in a scheme's claims
a_claimed = Symbol("a", integer=True)  #: the output_padding in a scheme's claims
o_prime_claimed = Symbol("o'", integer=True)  #: the transposed output size in a scheme's claims

# Indices used by derivations and proofs.
j = _nonnegative("j")  #: output position
t = _nonnegative("t")  #: kernel tap

GUIDE_SYMBOLS = (i, k, s, p, d, o, a, n)
TRANSPOSED_SYMBOLS = (i_prime, o_prime, k_prime, s_prime, d_prime, p_prime, i_tilde)

__all__ = [
    "i", "k", "s", "d", "o", "p", "p_l", "p_r", "a", "n",
    "i_prime", "o_prime", "k_prime", "s_prime", "d_prime", "p_prime", "i_tilde",
    "o_claimed", "a_claimed", "o_prime_claimed",
    "j", "t", "GUIDE_SYMBOLS", "TRANSPOSED_SYMBOLS",
]
