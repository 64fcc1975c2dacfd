// Registers held across the dump: an asm loop keeps known values in the callee-saved registers
// (rbx, r12-r15) and in ymm0-ymm15 (and zmm16-zmm31 and k1-k7 when built with -mavx512f),
// spinning until SIGUSR1 sets a flag in memory; then it stores them and compares. MXCSR and the
// x87 control word are set away from their defaults (round toward zero, flush to zero) too.
#include "check.h"
#include <stdint.h>

#define YMM_BYTES 32

static const uint64_t gpr_want[5] = {
  0x0123456789abcdefULL, 0x1111222233334444ULL, 0x5555666677778888ULL, 0x99990000aaaabbbbULL, 0xccccddddeeeeffffULL,
};
static uint64_t gpr_got[5];
static uint8_t ymm_want[16][YMM_BYTES], ymm_got[16][YMM_BYTES];

#define LOAD_YMM(n) "vmovdqu " #n "*32(%[yw]), %%ymm" #n "\n"
#define STORE_YMM(n) "vmovdqu %%ymm" #n ", " #n "*32(%[yg])\n"
#define YMM_ALL(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)

#ifdef __AVX512F__
#define ZMM_BYTES 64
static uint8_t zmm_want[16][ZMM_BYTES], zmm_got[16][ZMM_BYTES];
static uint16_t k_got[7];
#define LOAD_ZMM(n) "vmovdqu64 (" #n "-16)*64(%[zw]), %%zmm" #n "\n"
#define STORE_ZMM(n) "vmovdqu64 %%zmm" #n ", (" #n "-16)*64(%[zg])\n"
#define ZMM_ALL(op) op(16) op(17) op(18) op(19) op(20) op(21) op(22) op(23) op(24) op(25) op(26) op(27) op(28) op(29) op(30) op(31)
#define LOAD_K(n) "mov $0x" #n #n #n "1, %%eax\n kmovw %%eax, %%k" #n "\n"
#define STORE_K(n) "kmovw %%k" #n ", (" #n "-1)*2(%[kg])\n"
#define K_ALL(op) op(1) op(2) op(3) op(4) op(5) op(6) op(7)
#define AVX512_LOAD ZMM_ALL(LOAD_ZMM) K_ALL(LOAD_K)
#define AVX512_STORE ZMM_ALL(STORE_ZMM) K_ALL(STORE_K)
#else
#define AVX512_LOAD ""
#define AVX512_STORE ""
#endif

static void spin_holding_registers(void) {
  __asm__ volatile(
      "mov 0(%[gw]), %%rbx\n mov 8(%[gw]), %%r12\n mov 16(%[gw]), %%r13\n mov 24(%[gw]), %%r14\n mov 32(%[gw]), %%r15\n"
      YMM_ALL(LOAD_YMM) AVX512_LOAD
      "1: pause\n cmpl $0, %[flag]\n je 1b\n"
      "mov %%rbx, 0(%[gg])\n mov %%r12, 8(%[gg])\n mov %%r13, 16(%[gg])\n mov %%r14, 24(%[gg])\n mov %%r15, 32(%[gg])\n"
      YMM_ALL(STORE_YMM) AVX512_STORE
      "vzeroupper\n"
      :
      : [gw] "r"(gpr_want), [gg] "r"(gpr_got), [yw] "r"(ymm_want), [yg] "r"(ymm_got), [flag] "m"(check_requested)
#ifdef __AVX512F__
        , [zw] "r"(zmm_want), [zg] "r"(zmm_got), [kg] "r"(k_got)
#endif
      : "rax", "rbx", "r12", "r13", "r14", "r15", "memory", "cc",
        "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
        "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"
#ifdef __AVX512F__
        , "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23",
        "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31",
        "k1", "k2", "k3", "k4", "k5", "k6", "k7"
#endif
  );
  check_requested = 0;
}

#define MXCSR_TOWARD_ZERO_FTZ 0xff80
#define X87_CW_TOWARD_ZERO 0x0f7f

static void set_float_controls(void) {
  unsigned mxcsr = MXCSR_TOWARD_ZERO_FTZ;
  unsigned short cw = X87_CW_TOWARD_ZERO;
  __asm__ volatile("ldmxcsr %0\n fldcw %1" : : "m"(mxcsr), "m"(cw));
}

static void check_float_controls(void) {
  unsigned mxcsr;
  unsigned short cw;
  __asm__ volatile("stmxcsr %0\n fnstcw %1" : "=m"(mxcsr), "=m"(cw));
  expect((mxcsr & ~0x3fu) == MXCSR_TOWARD_ZERO_FTZ, "mxcsr is %#x", mxcsr);
  expect(cw == X87_CW_TOWARD_ZERO, "x87 control word is %#x", cw);
}

static void compare(const char *name, int n, int width, const uint8_t *want, const uint8_t *got) {
  for (int r = 0; r < n; r++)
    for (int b = 0; b < width; b++)
      if (want[r * width + b] != got[r * width + b]) {
        expect(0, "%s register %d byte %d is %#x, want %#x", name, r, b, got[r * width + b], want[r * width + b]);
        return;
      }
}

int main(void) {
  checks_on_sigusr1();
  for (int r = 0; r < 16; r++)
    for (int b = 0; b < YMM_BYTES; b++) ymm_want[r][b] = (uint8_t)(r * YMM_BYTES + b + 1) ^ 0xa5;
#ifdef __AVX512F__
  for (int r = 0; r < 16; r++)
    for (int b = 0; b < ZMM_BYTES; b++) zmm_want[r][b] = (uint8_t)(r * ZMM_BYTES + b + 7) ^ 0x3c;
#endif
  set_float_controls();
  printf("ready\n");
  for (;;) {
    spin_holding_registers();
    static const char *gpr_names[5] = { "rbx", "r12", "r13", "r14", "r15" };
    for (int i = 0; i < 5; i++)
      expect(gpr_got[i] == gpr_want[i], "%s is %#lx, want %#lx", gpr_names[i], (unsigned long)gpr_got[i], (unsigned long)gpr_want[i]);
    compare("ymm", 16, YMM_BYTES, &ymm_want[0][0], &ymm_got[0][0]);
#ifdef __AVX512F__
    compare("zmm(16+)", 16, ZMM_BYTES, &zmm_want[0][0], &zmm_got[0][0]);
    for (int k = 1; k <= 7; k++)
      expect(k_got[k - 1] == k * 0x1110 + 1, "k%d is %#x", k, k_got[k - 1]);
#endif
    check_float_controls();
    verdict();
  }
}
