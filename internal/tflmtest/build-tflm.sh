#!/bin/bash
# build-tflm.sh [VARIANT…]: builds TensorFlow Lite Micro libraries for the
# host under $TFLM_DIR (a tflite-micro checkout whose third-party folders are
# in tensorflow/lite/micro/tools/make/downloads/, see README.md), with TFLM's
# own Makefile rules and flags, for the tests of package tflite.
#
# Each variant compiles TFLM's core objects, the kernels of the six
# operators package tflite writes (FULLY_CONNECTED, CONV_2D,
# DEPTHWISE_CONV_2D, MAX_POOL_2D, RESHAPE, SOFTMAX) and the third-party
# kernel sources (CMSIS-NN's C code for cmsis32), and archives them as
# gen/<build>/lib/libtensorflow-microlite.a, where the tests find them:
#
#   ref64     reference kernels, x86_64       (gen/linux_x86_64_default_gcc)
#   ref32     reference kernels, x86 -m32     (gen/linux_x86_32_default_gcc)
#   cmsis32   CMSIS-NN kernels (their portable C paths), x86 -m32
#             (gen/linux_x86_32_default_cmsis_nn_gcc)
#
#   ei32      Edge Impulse's copy of TFLM (github.com/edgeimpulse/inferencing-sdk-cpp,
#             which its C++ library deploys), reference kernels, -m32; here
#             TFLM_DIR is the checkout renamed edge-impulse-sdk (its headers
#             include "edge-impulse-sdk/…"): gen/ei_x86_32_reference
#
# With no argument it builds ref64 and ref32. The 32-bit builds need
# g++-multilib; the Makefile needs python3 with numpy and PIL (Debian's
# python3-numpy, python3-pil: the script puts /usr/bin first in PATH).
# `make … microlite` builds the whole library (every kernel) instead, in
# about four times as long.
set -euo pipefail
: "${TFLM_DIR:?set TFLM_DIR to the tflite-micro checkout}"
cd "$TFLM_DIR"
export PATH=/usr/bin:$PATH
MK="make -s -f tensorflow/lite/micro/tools/make/Makefile"

build() {
  local vars=("$@") core kern="" tpk tp o
  get() { $MK "${vars[@]}" "print-$1" 2>/dev/null | sed -n "s/^$1=//p"; }
  core=$(get MICROLITE_LIB_OBJS)
  tpk=$(get MICROLITE_THIRD_PARTY_KERNEL_OBJS)
  tp=$(get MICROLITE_THIRD_PARTY_OBJS)
  for o in $(get MICROLITE_KERNEL_OBJS); do
    case $(basename "$o" .o) in
      conv|conv_common|depthwise_conv|depthwise_conv_common|fully_connected|fully_connected_common|\
      pooling|pooling_common|reshape|reshape_common|softmax|softmax_common|kernel_util|micro_tensor_utils)
        kern="$kern $o";;
    esac
  done
  local gen=${core%%/obj/*}
  $MK "${vars[@]}" -j2 $core $kern $tpk $tp
  mkdir -p "$gen/lib"
  rm -f "$gen/lib/libtensorflow-microlite.a"
  ar rcs "$gen/lib/libtensorflow-microlite.a" $core $kern $tpk $tp
  echo "$gen/lib/libtensorflow-microlite.a: $(echo $core | wc -w) core, $(echo $kern | wc -w) kernel, $(echo $tpk $tp | wc -w) third-party objects"
}

# Edge Impulse's copy has no Makefile for the host: compile its core (no
# tests, no all-ops resolver) and the six operators' kernels with TFLM's
# flags; DebugLog, which its porting layer defines per board, writes to
# stderr.
build_ei() {
  [ "$(basename "$PWD")" = edge-impulse-sdk ] || { echo "ei32: TFLM_DIR must be the edge-impulse-sdk folder" >&2; exit 2; }
  local out=gen/ei_x86_32_reference src obj
  local flags=(-m32 -O2 -DTF_LITE_STATIC_MEMORY -DTF_LITE_DISABLE_X86_NEON -I.. -I. -Ithird_party/flatbuffers/include -Ithird_party/gemmlowp -Ithird_party/ruy)
  mkdir -p $out/obj $out/lib
  printf '#include <cstdio>\n#include "edge-impulse-sdk/tensorflow/lite/micro/debug_log.h"\nvoid DebugLog(const char* s) { std::fputs(s, stderr); }\n' > $out/debug_log_host.cc
  { find tensorflow \( -name "*.cc" -o -name "*.c" \) | grep -v "_test\|test_helper\|all_ops_resolver\|/micro/kernels/\|mock_micro_graph\|fake_micro_context"
    for k in conv conv_common depthwise_conv depthwise_conv_common fully_connected fully_connected_common pooling pooling_common \
             reshape softmax softmax_common kernel_util_micro micro_tensor_utils; do
      echo tensorflow/lite/micro/kernels/$k.cc
    done
    echo $out/debug_log_host.cc; } | while read -r src; do
    obj=$out/obj/$(echo "$src" | tr / _).o
    case $src in
      *.c) echo gcc "${flags[@]}" -std=c11 -c "$src" -o "$obj" ;;
      *) echo g++ "${flags[@]}" -std=c++17 -fno-rtti -fno-exceptions -c "$src" -o "$obj" ;;
    esac
  done | xargs -P2 -I{} sh -c {}
  rm -f $out/lib/libtensorflow-microlite.a
  ar rcs $out/lib/libtensorflow-microlite.a $out/obj/*.o
  echo "$out/lib/libtensorflow-microlite.a: $(ls $out/obj | wc -l) objects"
}

m32=(TARGET_ARCH=x86_32 "CXX_TOOL=g++ -m32" "CC_TOOL=gcc -m32")
for v in "${@:-ref64 ref32}"; do
  for w in $v; do
    case $w in
      ref64) build ;;
      ref32) build "${m32[@]}" ;;
      cmsis32) build "${m32[@]}" OPTIMIZED_KERNEL_DIR=cmsis_nn ;;
      ei32) build_ei ;;
      *) echo "unknown variant $w (ref64, ref32, cmsis32, ei32)" >&2; exit 2 ;;
    esac
  done
done
