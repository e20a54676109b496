// Benchmark baseline only: the gate math of gate_fusion.cu split into one kernel per
// operation, each reading its inputs from and writing its result to global memory, the way a
// sequence of separate framework ops (sigmoid, mul, sub, sigmoid, lt, unpack, or) runs. The
// threshold rule only, over a flat buffer of n tokens whose floor bitmask is one flat array.

__device__ __forceinline__ float ku_exp(float x) {
    if (x != x) {
        return x;
    }
    if (x < -87.0f) {
        x = -87.0f;
    } else if (x > 88.0f) {
        x = 88.0f;
    }
    const float shift = __uint_as_float(0x4b400000u);
    const float t = __fmaf_rn(x, __uint_as_float(0x3fb8aa3bu), shift);
    const float n = __fsub_rn(t, shift);
    float r = __fmaf_rn(-n, __uint_as_float(0x3f317200u), x);
    r = __fmaf_rn(-n, __uint_as_float(0x35bfbe8eu), r);
    float p = __uint_as_float(0x3ab60b61u);
    p = __fmaf_rn(p, r, __uint_as_float(0x3c088889u));
    p = __fmaf_rn(p, r, __uint_as_float(0x3d2aaaabu));
    p = __fmaf_rn(p, r, __uint_as_float(0x3e2aaaabu));
    p = __fmaf_rn(p, r, 0.5f);
    p = __fmaf_rn(p, r, 1.0f);
    p = __fmaf_rn(p, r, 1.0f);
    const int ni = __float2int_rz(n);
    const int half = ni / 2;
    const float s1 = __uint_as_float(((unsigned int)(half + 127)) << 23);
    const float s2 = __uint_as_float(((unsigned int)(ni - half + 127)) << 23);
    return __fmul_rn(__fmul_rn(p, s1), s2);
}

#define KU_LOOP(n) for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < (n); \
                        i += (unsigned long long)gridDim.x * blockDim.x)

extern "C" __global__ void unfused_sigmoid(const float* x, float* y, unsigned long long n) {
    KU_LOOP(n) { y[i] = __fdiv_rn(1.0f, __fadd_rn(1.0f, ku_exp(-x[i]))); }
}

extern "C" __global__ void unfused_scale(const float* x, float s, float* y, unsigned long long n) {
    KU_LOOP(n) { y[i] = __fmul_rn(x[i], s); }
}

extern "C" __global__ void unfused_sub(const float* a, const float* b, float* y, unsigned long long n) {
    KU_LOOP(n) { y[i] = __fsub_rn(a[i], b[i]); }
}

extern "C" __global__ void unfused_less(const float* x, float t, unsigned char* y, unsigned long long n) {
    KU_LOOP(n) { y[i] = x[i] < t ? 1 : 0; }
}

extern "C" __global__ void unfused_unpack_bits(const unsigned int* words, unsigned char* y, unsigned long long n) {
    KU_LOOP(n) { y[i] = (words[i >> 5] >> (i & 31ull)) & 1u; }
}

extern "C" __global__ void unfused_or(const unsigned char* a, const unsigned char* b, unsigned char* y,
                                      unsigned long long n) {
    KU_LOOP(n) { y[i] = a[i] | b[i]; }
}
