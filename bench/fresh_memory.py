#!/usr/bin/env python3
"""How long this machine takes to hand a process fresh memory.

Touches one byte in every 4 KiB page of a new anonymous mapping, with
transparent huge pages asked for (MADV_HUGEPAGE, as dossier's allocator does)
or not, first right after deleting a large tmpfs file (as bench/run.sh does
before each measured build, and as `dossier build` does when it removes the
previous site), then again at once. BENCHMARKS.md quotes its figures.

    python3 bench/fresh_memory.py            # 1500 MB, 3000 MB freed, 3 rounds
    python3 bench/fresh_memory.py --mb 500 --free-mb 1000 --rounds 5
"""

import argparse
import mmap
import os
import tempfile
import time

PAGE = 4096


def touch(mb: int, huge: bool) -> tuple[float, float]:
    """Seconds to map `mb` MB and touch every page of it: wall, and the
    kernel's part (system time; the rest is mostly Python's loop)."""
    size = mb << 20
    start, system = time.perf_counter(), os.times().system
    area = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if huge:
        area.madvise(mmap.MADV_HUGEPAGE)
    for at in range(0, size, PAGE):
        area[at] = 1
    elapsed = time.perf_counter() - start, os.times().system - system
    area.close()
    return elapsed


def free_tmpfs(mb: int, folder: str) -> None:
    """Writes then deletes an `mb` MB file in `folder` (tmpfs: memory)."""
    chunk = b"\0" * (1 << 20)
    with tempfile.NamedTemporaryFile(dir=folder, delete=False) as f:
        for _ in range(mb):
            f.write(chunk)
        name = f.name
    os.remove(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1500, help="memory to touch")
    parser.add_argument("--free-mb", type=int, default=3000, help="tmpfs file to delete first")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tmpfs", default="/dev/shm")
    args = parser.parse_args()
    for round in range(1, args.rounds + 1):
        for huge in (True, False):
            kind = "2 MiB pages" if huge else "4 KiB pages"
            free_tmpfs(args.free_mb, args.tmpfs)
            (wall, system) = touch(args.mb, huge)
            (wall_again, system_again) = touch(args.mb, huge)
            print(
                f"round {round}, {kind}: {args.mb} MB right after freeing {args.free_mb} MB: "
                f"{wall:.2f} s ({system:.2f} s system); again at once: "
                f"{wall_again:.2f} s ({system_again:.2f} s system)"
            )


if __name__ == "__main__":
    main()
