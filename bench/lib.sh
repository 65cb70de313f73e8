# Shared by the scripts in bench/ (sourced, not run): where they work, what
# they need, and clearing their work folder safely.

# The work folder: $BENCH_DIR if set, else /dev/shm/<name> (tmpfs, so disk
# speed is not measured) or /tmp/<name> without /dev/shm.
bench_work_dir() {
  if [[ -n ${BENCH_DIR:-} ]]; then
    echo "$BENCH_DIR"
  elif [[ -d /dev/shm && -w /dev/shm ]]; then
    echo "/dev/shm/$1"
  else
    echo "/tmp/$1"
  fi
}

# Exits with a message naming script $1 unless every tool after the hint $2
# (how to install them, or "") is on the PATH.
bench_need() {
  local script=$1 hint=$2 tool
  shift 2
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$script: $tool is needed${hint:+ ($hint)}" >&2; exit 1; }
  done
}

# Empties work folder $2 for script $1, or creates it. A folder that holds
# anything without the file $3, which every earlier run of the script leaves
# there, is refused: it is not this script's to delete.
bench_fresh_dir() {
  local script=$1 work=$2 marker=$3
  if [[ -d $work && -n $(ls -A "$work") && ! -e $work/$marker ]]; then
    echo "$script: $work is not empty and not one of its earlier work folders; set BENCH_DIR" >&2
    exit 1
  fi
  rm -rf "$work"
  mkdir -p "$work"
}
