"""The PIX QR matrix, exactly as `segno.make(data, error="m", micro=False)` builds it, about ten times faster.

segno chooses the mask the way ISO/IEC 18004 asks (the lowest penalty of all eight), which keeps a
printed code easy to scan, but it scores each mask module by module in pure Python: ~8 ms of the
~10 ms it takes per code. Here segno's own steps build the bit stream; the Reed-Solomon blocks
and the placement of the bits, a Python loop per bit or per module in segno, run from tables
(`_final_bits`, `_placement`); and the eight candidates are scored with the whole matrix as one
integer (and its transpose as another), so the rules run as integer and string operations in C:
N1 (runs of five or more) and N2 (2x2 blocks) as bit arithmetic, N3 (the 1:1:3:1:1 finder-like
pattern) as string searches, N4 as a bit count. The scores reproduce segno's own, quirks included
(see `_n3`), so the chosen mask and the matrix are the same bit for bit; `tests/boletos/test_qr.py`
checks that against segno on many codes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import zip_longest
from operator import itemgetter
from typing import Any

from segno import consts as _segno_consts
from segno import encoder as _segno_encoder

# segno's encoder is not annotated: reached through Any, since mypy strict refuses untyped calls.
encoder: Any = _segno_encoder
consts: Any = _segno_consts

Matrix = list[bytearray]

_MASKS: tuple[Callable[[int, int], bool], ...] = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
)
_FINDER = "1011101"
_TO_BITS = bytes.maketrans(b"\x00\x01", b"01")
_FROM_BITS = bytes.maketrans(b"01", b"\x00\x01")


def _bits(row: bytearray | bytes) -> int:
    return int(bytes(row).translate(_TO_BITS), 2)


def _whole(rows: list[int] | tuple[int, ...], size: int) -> int:
    """The rows as one integer, row 0 in the highest bits: a mask is then one XOR."""
    out = 0
    for r in rows:
        out = (out << size) | r
    return out


def _transpose(rows: list[int] | tuple[int, ...], size: int) -> list[int]:
    text = [format(r, f"0{size}b") for r in rows]
    return [int("".join(col), 2) for col in zip(*text, strict=True)]


@dataclass(frozen=True)
class _Layout:
    masks: tuple[tuple[int, ...], ...]  # per mask, per row: the data cells it flips
    whole: tuple[int, ...]  # per mask: the same as one integer, rows...
    whole_t: tuple[int, ...]  # ...and columns
    blocks: int  # where a 2x2 block may end: rows 1.., columns 1..
    pairs: int  # where a module's neighbour one bit lower is in the same row


@cache
def _layout(size: int) -> _Layout:
    """For each mask, the data cells it flips, as integers (column 0 is the highest bit), and the
    bit masks the scoring needs for a matrix of this size."""
    function = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(function, size, size)
    encoder.add_alignment_patterns(function, size, size)
    function[-8][8] = 0x1
    masks = tuple(
        tuple(_bits(bytearray(1 if function[i][j] > 0x1 and fn(i, j) else 0 for j in range(size))) for i in range(size))
        for fn in _MASKS
    )
    row_blocks = (1 << (size - 1)) - 1  # every column but the first (the highest bit)
    return _Layout(
        masks=masks,
        whole=tuple(_whole(m, size) for m in masks),
        whole_t=tuple(_whole(_transpose(m, size), size) for m in masks),
        blocks=_whole([0] + [row_blocks] * (size - 1), size),
        pairs=_whole([row_blocks] * size, size),  # a module and the next one (lower bit) in its row
    )


def _n3(lines: str, size: int) -> int:
    """segno's N3 over every row and column at once (joined by "2", which no pattern crosses), kept as
    segno counts it: a pattern at either end of its line counts without looking for light modules."""
    count = 0
    step = size + 1
    idx = lines.find(_FINDER)
    while idx != -1:
        start = idx - idx % step  # where this line begins
        offset = idx + 7
        if (
            idx - start in (0, size - 7)
            or "1" not in lines[max(idx - 4, start) : idx]
            or "1" not in lines[offset : min(offset + 4, start + size)]
        ):
            count += 40
        else:
            offset = idx + 4
        idx = lines.find(_FINDER, offset)
    return count


def _n1(lines: int, layout: _Layout) -> int:
    """N1 (3 for five alike in a row, +1 for each more) over every row, by bit arithmetic: `same`
    marks a module equal to its neighbour, `four` the start of four such pairs (five alike); a run of
    k alike has k - 4 bits in `four` and one group of them, and scores k - 2 = (k - 4) + 2."""
    same = ~(lines ^ (lines >> 1)) & layout.pairs
    four = same & (same >> 1) & (same >> 2) & (same >> 3)
    return four.bit_count() + 2 * (four & ~(four << 1)).bit_count()


def _penalty(rows: int, cols: int, layout: _Layout, size: int) -> int:
    """segno's N1 + N2 + N3 + N4 of one masked matrix, given as its rows and its columns (whole)."""
    cells = size * size
    full = (1 << cells) - 1
    text = format(rows, f"0{cells}b")
    text_t = format(cols, f"0{cells}b")
    lines = "2".join([t[i : i + size] for t in (text, text_t) for i in range(0, cells, size)])
    n1 = _n1(rows, layout) + _n1(cols, layout)
    above = rows >> size  # each row beside the one above it
    dark = rows & above
    light = ~(rows | above) & full
    n2 = ((dark & (dark >> 1)) | (light & (light >> 1))) & layout.blocks
    n4 = 10 * int(abs(rows.bit_count() / cells * 100 - 50) / 5)
    return n1 + 3 * n2.bit_count() + _n3(lines, size) + n4


@dataclass(frozen=True)
class _Placement:
    """Where one (non-micro) version puts its bits, found once by segno's own functions."""

    size: int
    base: tuple[int, ...]  # per row: the function patterns' dark modules, data cells light
    cells: Callable[[str], tuple[str, ...]]  # the message's bits (plus a "0") in row-major cell order
    bits: int  # how many data cells the message fills


@cache
def _placement(version: int) -> _Placement:
    """segno's `add_codewords` walk (two-module columns, alternately up and down, right to left,
    skipping the timing column), recorded once per version as the message bit each cell takes, so a
    code then fills its matrix with one C-level `itemgetter` instead of a Python loop per module."""
    size = int(encoder.calc_matrix_size(version))
    function = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(function, size, size)
    encoder.add_alignment_patterns(function, size, size)
    order: list[int] = []
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        for vertical in range(size):
            for z in range(2):
                j = right - z
                upwards = (right & 2) == 0
                upwards ^= j < 6
                i = (size - 1 - vertical) if upwards else vertical
                if function[i][j] == 0x2:
                    order.append(i * size + j)
    source = [len(order)] * (size * size)  # a function cell reads the "0" appended to the bits
    for k, cell in enumerate(order):
        source[cell] = k
    base = tuple(_bits(bytearray(1 if v == 0x1 else 0 for v in row)) for row in function)
    return _Placement(size=size, base=base, cells=itemgetter(*source), bits=len(order))


def _rs_table(ec_words: int) -> tuple[int, ...]:
    """For each leading coefficient, segno's generator polynomial times it, as one integer: the
    Reed-Solomon division then takes one shift and one XOR per data codeword."""
    return _RS_TABLES.get(ec_words) or _RS_TABLES.setdefault(
        ec_words,
        tuple(
            0
            if coef == 0
            else int.from_bytes(
                bytes(consts.GALIOS_EXP[consts.GALIOS_LOG[coef] + g] for g in consts.GEN_POLY[ec_words]), "big"
            )
            for coef in range(256)
        ),
    )


_RS_TABLES: dict[int, tuple[int, ...]] = {}


def _final_bits(version: int, error: int, data: bytes) -> str:
    """segno's `make_final_message` as a string of "0"/"1": the data codewords split into blocks and
    interleaved, then each block's error correction codewords, interleaved too."""
    blocks: list[bytes] = []
    ecc: list[bytes] = []
    pos = 0
    for info in consts.ECC[version][error]:
        n = info.num_total - info.num_data
        table, top, keep = _rs_table(n), 8 * (n - 1), (1 << 8 * (n - 1)) - 1
        for _ in range(info.num_blocks):
            block = data[pos : pos + info.num_data]
            pos += info.num_data
            rem = 0
            for byte in block:
                rem = ((rem & keep) << 8) ^ table[(rem >> top) ^ byte]
            blocks.append(block)
            ecc.append(rem.to_bytes(n, "big"))
    message = bytes(b for column in zip_longest(*blocks) for b in column if b is not None)
    message += bytes(b for column in zip_longest(*ecc) for b in column if b is not None)
    return format(int.from_bytes(message, "big"), f"0{8 * len(message)}b")


def _unmasked(data: str) -> tuple[list[int], int, int]:
    """segno's `_encode` up to the mask (segno.make(data, error="m", micro=False)): the data and
    error correction placed, function patterns drawn, format and version cells light. Returns the
    rows as integers (column 0 in the highest bit), segno's version and error level constants.

    segno's own steps prepare the bit stream; its codewords, Reed-Solomon blocks and placement, a
    Python loop per bit or per module there (~1 ms a code), are done here with integers and tables."""
    segments = encoder.prepare_data(data, None, None)
    error = encoder.normalize_errorlevel("m")
    version = encoder.find_version(segments, error, eci=False, micro=False)
    error = encoder.boost_error_level(version, error, segments, False)  # as segno.make does by default
    buff = encoder.Buffer()
    for segment in segments:
        encoder.write_segment(buff, segment, None, encoder.version_range(version), False)
    capacity = consts.SYMBOL_CAPACITY[version][error]
    encoder.write_terminator(buff, capacity, None, len(buff))
    encoder.write_padding_bits(buff, version, len(buff))
    encoder.write_pad_codewords(buff, version, capacity, len(buff))
    stream = bytes(buff.getbits())
    data_bytes = int(stream.translate(_TO_BITS), 2).to_bytes(len(stream) // 8, "big")
    bits = _final_bits(version, error, data_bytes)
    place = _placement(int(version))
    # segno appends 3, 4 or 7 zero remainder bits for some versions: the cells no codeword reaches.
    if not len(bits) <= place.bits <= len(bits) + 7:  # pragma: no cover - segno raises the same
        raise ValueError(f"QR: {len(bits)} message bits for {place.bits} data cells")
    cells = "".join(place.cells(bits.ljust(place.bits, "0") + "0"))
    size = place.size
    rows = [int(cells[i : i + size], 2) | b for i, b in zip(range(0, size * size, size), place.base, strict=True)]
    return rows, int(version), int(error)


def matrix(data: str) -> Matrix:
    """The rows of the QR code (1 = dark), without the quiet zone."""
    plain, version, error = _unmasked(data)  # what segno scores, before each mask
    size = len(plain)
    layout = _layout(size)
    rows, cols = _whole(plain, size), _whole(_transpose(plain, size), size)
    best, best_score = 0, -1
    for k in range(len(_MASKS)):
        score = _penalty(rows ^ layout.whole[k], cols ^ layout.whole_t[k], layout, size)
        if best_score < 0 or score < best_score:
            best, best_score = k, score
    out = [
        bytearray(format(p ^ m, f"0{size}b").encode().translate(_FROM_BITS))
        for p, m in zip(plain, layout.masks[best], strict=True)
    ]
    encoder.add_format_info(out, version, error, best)
    encoder.add_version_info(out, version)
    return out
