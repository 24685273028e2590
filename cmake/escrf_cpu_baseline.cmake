# The instruction set the module's universal intrinsics (opencv2/core/hal/intrin.hpp) compile to
# in the standalone build.
#
# Outside OpenCV's own build, intrin.hpp gives SSE2 registers (4 floats) whatever -m flags the
# compiler gets: OpenCV selects wider registers only from its CV_* feature macros, which its build
# defines from CPU_BASELINE. The module's kernels (projection, ES-CRF window rows, classifier, SLIC,
# DenseCRF's lattice) are written once for any register width (v_float32, vx_load, ...), so defining
# those macros together with the matching compiler flags gives them 8 lanes.
#
#   ESCRF_CPU_BASELINE = AUTO (default): AVX2 when the build machine runs it, else SSE2
#                        SSE2   : any x86-64 CPU (the portable choice for binaries that travel)
#                        AVX2   : AVX2 + F16C + POPCNT (Haswell, Zen and later)
#
# The choice is also the oldest CPU the library runs on: a library built with AVX2 stops with an
# illegal instruction on a CPU without it. The flags apply to every C++ target of the project (the
# tests and benchmarks include the same inline kernels, which must agree with the library's), not to
# CUDA, and not to the in-tree build, where OpenCV's CPU_BASELINE decides.
#
# Not used, on purpose: FMA (CV_FMA3 would fuse v_fma, and the CPU SLIC, the lattice and the head
# would no longer round like the scalar code and the GPU emulations they are tested against bit for
# bit) and AVX-512 (16 lanes: with it, six of those bit-for-bit and parity tests fail; not
# investigated further, and SLIC's half cell rows of about 8 pixels cannot fill 16 lanes anyway).
set(ESCRF_CPU_BASELINE "AUTO" CACHE STRING "Instruction set of the module's SIMD kernels: AUTO, SSE2 or AVX2")
set_property(CACHE ESCRF_CPU_BASELINE PROPERTY STRINGS AUTO SSE2 AVX2)

set(escrf_cpu_baseline "${ESCRF_CPU_BASELINE}")
set(escrf_x86 OFF)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  set(escrf_x86 ON)
endif()

if(NOT escrf_x86)
  # ARM's NEON (aarch64) is part of the base ABI and already what intrin.hpp uses.
  set(escrf_cpu_baseline "DEFAULT")
elseif(escrf_cpu_baseline STREQUAL "AUTO")
  if(CMAKE_CROSSCOMPILING)
    set(escrf_cpu_baseline "SSE2")
  else()
    set(escrf_cpu_probe "${CMAKE_BINARY_DIR}/CMakeFiles/escrf_cpu_probe.cpp")
    file(WRITE "${escrf_cpu_probe}" [=[
#include <cstdio>
int main()
{
    __builtin_cpu_init();
    // Every CPU with AVX2 also has F16C and POPCNT (Clang 14 cannot ask for "f16c" here).
    std::printf("%s", __builtin_cpu_supports("avx2") ? "AVX2" : "SSE2");
    return 0;
}
]=])
    try_run(escrf_cpu_probe_run escrf_cpu_probe_compiled "${CMAKE_BINARY_DIR}/CMakeFiles/escrf_cpu_probe"
            "${escrf_cpu_probe}" RUN_OUTPUT_VARIABLE escrf_cpu_probe_out)
    if(escrf_cpu_probe_compiled AND escrf_cpu_probe_run EQUAL 0 AND escrf_cpu_probe_out MATCHES "^(SSE2|AVX2)$")
      set(escrf_cpu_baseline "${escrf_cpu_probe_out}")
    else()
      set(escrf_cpu_baseline "SSE2")
    endif()
  endif()
endif()

set(escrf_cpu_flags "")
set(escrf_cpu_macros "")
if(escrf_cpu_baseline STREQUAL "AVX2")
  set(escrf_cpu_flags -mavx2 -mf16c -mpopcnt)
  set(escrf_cpu_macros CV_SSE3=1 CV_SSSE3=1 CV_SSE4_1=1 CV_SSE4_2=1 CV_POPCNT=1 CV_AVX=1 CV_FP16=1 CV_AVX2=1)
elseif(NOT escrf_cpu_baseline MATCHES "^(SSE2|DEFAULT)$")
  message(FATAL_ERROR "escrf: ESCRF_CPU_BASELINE=${ESCRF_CPU_BASELINE}: expected AUTO, SSE2 or AVX2")
endif()
if(escrf_cpu_flags)
  # intrin.hpp's AVX code expects <immintrin.h>, which OpenCV's headers include only in its own build.
  add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:${escrf_cpu_flags};-include;immintrin.h>")
  foreach(m ${escrf_cpu_macros})
    add_compile_definitions("$<$<COMPILE_LANGUAGE:CXX>:${m}>")
  endforeach()
endif()
message(STATUS "escrf: SIMD kernels for ${escrf_cpu_baseline} (ESCRF_CPU_BASELINE=${ESCRF_CPU_BASELINE})")
