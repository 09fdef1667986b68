"""Secret scan of a large text file: hfsync's streaming scan vs detect-secrets' scan_file.

Both run the same detect-secrets plugins and filters (hfsync's settings) on the same
generated file holding one planted token near the end. detect-secrets' scan_file reads
the whole file and runs every plugin on every line; hfsync reads batches of lines and
runs the per-line pass only where a plugin matches the batch. Prints the time ratio and
each side's peak Python allocation.

    python bench/bench_secret_scan.py [MEGABYTES]   (default 2)
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hfsync.publish.scan import scan_files
from hfsync.publish.secrets import detect_secrets_settings


def _measure(fn):  # type: ignore[no-untyped-def]
    """(result, seconds, peak bytes): timed untraced, then run again under tracemalloc
    (which slows Python down too much to time with it on)."""
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, elapsed, peak


def main() -> None:
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    folder = Path(tempfile.mkdtemp(prefix="hfsync-bench-scan-"))
    path = folder / "train.log"
    line = "step {:>8} | loss 0.{:04d} | lr 2.0e-05 | tokens/s 18211 | grad_norm 0.97\n"
    token = "h" + "f_" + "BenchT0ken" * 4
    with open(path, "w") as handle:
        step = 0
        while handle.tell() < megabytes * 1e6:
            handle.write(line.format(step, step % 9973))
            step += 1
        handle.write(f"HF_TOKEN={token}\n")

    (folder / "warm.txt").write_text("x = 1\n")  # plugin imports and set-up, paid once by both
    scan_files(folder, ["warm.txt"])
    ours, ours_s, ours_peak = _measure(lambda: scan_files(folder, ["train.log"]).findings)

    def peer() -> list:
        from detect_secrets.core.scan import scan_file

        with detect_secrets_settings():
            return sorted({(s.line_number, s.type) for s in scan_file(str(path))})

    theirs, theirs_s, theirs_peak = _measure(peer)
    assert (step + 1, "Hugging Face Token") in {(f.line, f.type) for f in ours}
    assert (step + 1, "Hugging Face Token") in theirs
    print(f"file: {path.stat().st_size / 1e6:.1f} MB, {step + 1} lines; findings: hfsync {len(ours)}, "
          f"detect-secrets {len(theirs)}")
    print(f"hfsync streaming scan : {ours_s:7.2f} s, peak {ours_peak / 1e6:6.1f} MB")
    print(f"detect-secrets scan   : {theirs_s:7.2f} s, peak {theirs_peak / 1e6:6.1f} MB")
    print(f"ratio: hfsync is {theirs_s / ours_s:.1f}x faster, uses {theirs_peak / max(ours_peak, 1):.1f}x less memory")


if __name__ == "__main__":
    main()
