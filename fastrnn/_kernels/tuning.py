"""Every tuning threshold of fastrnn, in one place.

Each constant says what it decides and why, in a line or two; the
measurements it was chosen from, and the hardware they ran on, are in
``docs/performance.md`` ("Tuning thresholds").  The kernels read these as
compile-time constants: a change here invalidates numba's disk cache like
any other kernel source (:data:`fastrnn._kernels._jit.SOURCES_DIGEST`).
"""

# --- matrix products (products.py) -----------------------------------------

#: ``k * n`` from which a one-row product ``(1, k) @ (k, n)`` goes to BLAS:
#: below it, fastrnn's own one-row loops beat a BLAS call's fixed cost.
ONE_ROW_BLAS_MIN = 1 << 19
#: ``r * m * n`` from which ``matmul_tn`` (``a.T @ b``) gives BLAS the narrower
#: operand first and transposes the result: faster for long inner dimensions.
NARROW_FIRST_MIN = 1 << 26
#: The largest product (multiply-adds) that SciPy's OpenBLAS runs on the thread
#: that calls it; larger ones go to its thread pool.  The batch split keeps
#: each part's per-step products below this (several callers would share the pool).
CALLER_THREAD_MACS = 3 << 18
#: Largest ``b`` (bytes) of a one-row product that goes by column tiles, and the
#: largest when ``b`` is at least as wide as tall: out of the L1 cache the
#: tiles' strided walk down ``b`` fetches shared lines twice, so passes over
#: the row win there.
ROW_TILE_MAX_BYTES = 32 << 10
WIDE_ROW_TILE_MAX_BYTES = 128 << 10
#: Alignment (bytes) of the rows of a matrix fastrnn lays out for the column
#: tiles (``layout.padded_width``): a 32-byte half-vector load that crosses a
#: 32-byte line costs a second load.  numba allocates at 32 bytes.
ROW_ALIGN = 32
#: 64-byte vectors of sums a column tile keeps in registers: four hide the
#: latency of the fused multiply-adds; more spill.
TILE_VECTORS = 4

# --- LSTM (lstm.py) ----------------------------------------------------------

#: Gate values activated per block of rows in the LSTM forward (64 KiB of
#: float64): the block stays in L2 between the product and the activations.
BLOCK_VALUES = 8192

# --- batch split (fastrnn/_threads.py) --------------------------------------

#: No split below this many multiply-adds a call: handing a part to a worker
#: thread costs up to ~0.1 ms (a sleeping thread's wake-up).
SPLIT_MIN_MACS = 1 << 24
#: No split when a part's per-step product blocks (kept under
#: CALLER_THREAD_MACS) would have fewer rows than this: they run slower.
PRODUCT_ROWS_MIN = 8
#: The fewest batch rows a part gets, so that many cores do not cut a batch
#: into parts too small to run well.
PART_ROWS_MIN = 4

# --- scratch memory (fastrnn/_buffers.py) -----------------------------------

#: Scratch requests from this many bytes come from a per-thread pool: fresh
#: large blocks cost page faults; smaller ones the kernels allocate themselves.
POOLED_MIN = 64 * 1024

# --- OpenBLAS's threads (fastrnn/_kernels/_jit.py) --------------------------

#: ``OPENBLAS_THREAD_TIMEOUT`` set before SciPy's OpenBLAS loads (unless the
#: user set it): its idle threads spin 2**18 cycles (~80 us) instead of 2**28
#: (~0.1 s), so they stop taking a core from the user's own numpy code, and
#: still span the gap between two time steps' products.
OPENBLAS_THREAD_TIMEOUT = 18
