# Shared by tools/run-tests, tools/run-tutorial, tools/install-deps and .ci/run (sourced, not run).
#
# Environment knobs (all optional):
#   NABLA_BUILD_DIR    build directory, relative to the repository root (default: build)
#   NABLA_NATIVE       true/false: compile tests and examples with -march=native (default: true)
#   NABLA_SANITIZE     true/false: ASan + UBSan build (default: false)
#   NABLA_BUILDTYPE    Meson buildtype (default: -O1 without debug info; when sanitizing, -O1 -g1)
#   NABLA_MESON_ARGS   extra arguments for `meson setup`, split on spaces
#   NABLA_JOBS         parallel compile jobs (default: nproc)
#   NABLA_TARGETS      tools/run-tests: targets to compile, split on spaces (default: all)
#   NABLA_NO_INSTALL   set to 1 to never call apt-get

nabla_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# What building and testing nabla needs on Debian 12 (doctest-dev is found through cmake).
nabla_packages=(meson ninja-build g++ cmake pkg-config libboost-dev libxsimd-dev doctest-dev libbenchmark-dev)

nabla_log() { printf '[nabla] %s\n' "$*" >&2; }

# nabla_install_deps [extra packages...]: installs whatever of the list is missing, with
# apt-get, only when something is missing.
nabla_install_deps() {
    local pkgs=("${nabla_packages[@]}" "$@") missing=() p
    if ! command -v dpkg-query >/dev/null 2>&1; then
        nabla_log "no dpkg-query: not a Debian system, not installing anything (needs: ${pkgs[*]})"
        return 0
    fi
    for p in "${pkgs[@]}"; do
        if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
            missing+=("$p")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    if [ "${NABLA_NO_INSTALL:-0}" = 1 ]; then
        nabla_log "missing packages: ${missing[*]} (NABLA_NO_INSTALL=1: not installing)"
        return 1
    fi
    local sudo=()
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            nabla_log "missing packages: ${missing[*]}; run as root or install them: apt-get install ${missing[*]}"
            return 1
        fi
    fi
    nabla_log "installing: ${missing[*]}"
    local try
    for try in 1 2 3; do
        if "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
           "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; then
            return 0
        fi
        nabla_log "apt-get failed (attempt $try of 3)"
        sleep $((try * 5))
    done
    return 1
}

# nabla_configure: sets nabla_build (absolute path) and configures it; an existing build
# directory is reconfigured, so that test files, headers or examples added since are found.
nabla_configure() {
    local rel=${NABLA_BUILD_DIR:-build}
    case $rel in /*) nabla_build=$rel ;; *) nabla_build=$nabla_root/$rel ;; esac
    local native=${NABLA_NATIVE:-true} sanitize=${NABLA_SANITIZE:-false} opt
    if [ -n "${NABLA_BUILDTYPE:-}" ]; then
        opt=(-Dbuildtype="$NABLA_BUILDTYPE")
    elif [ "$sanitize" = true ]; then
        # -O1 (+ -g1 from meson.build): what the sanitizers recommend, and the sanitized
        # build compiles about twice as fast as with -O2 -g
        opt=(-Doptimization=1 -Ddebug=false)
    else
        # -O1 too: the suite's template-heavy files compile about three times faster than at -O3,
        # and the kernels are explicit xsimd code, so -O1 still runs (and tests) the SIMD paths.
        # Benchmarks are built separately at -O3 (bench/meson.build).
        opt=(-Doptimization=1 -Ddebug=false)
    fi
    # shellcheck disable=SC2206
    local args=(-Dnative="$native" -Dsanitize="$sanitize" "${opt[@]}" ${NABLA_MESON_ARGS:-} "$@")
    if [ -f "$nabla_build/meson-private/coredata.dat" ]; then
        meson setup --reconfigure "${args[@]}" "$nabla_build" "$nabla_root" >&2
    else
        meson setup "${args[@]}" "$nabla_build" "$nabla_root" >&2
    fi
}

# nabla_compile [targets...]
nabla_compile() {
    meson compile -C "$nabla_build" -j "${NABLA_JOBS:-$(nproc)}" "$@" >&2
}

# Sanitizer run-time settings for a -Dsanitize=true build (kept if already set).
nabla_sanitizer_env() {
    # detect_stack_use_after_return stays off: with GCC 12's ASan it crashes the test program
    # before main, in the static initialisation of test_derivatives.cpp (a namespace-scope
    # vector built from an initializer_list: a read of a wild fake-stack address), although
    # the same code runs clean without it.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
}
