// kompress gate fusion: one kernel that turns per-token logits into the eviction probability
// p = sigmoid(logit_tok - gamma * g(span)) and the keep mask, for a ragged batch, without a
// round trip to the host.
//
// Bit-exact twin of crates/kompress-core/src/gate.rs (gate_one, select_keep_top_k) and of the
// batched CPU path in crates/kompress-gpu/src/cpu.rs. Only correctly rounded operations are
// used (the __f*_rn intrinsics, which are never contracted, and explicit fmaf), in the same
// order and with the same constants (bit patterns). Compile with --fmad=false --ftz=false
// --prec-div=true (kompress-gpu does); any change here must be mirrored on the CPU side.
//
// Layout. Sequence b owns the elements [starts[b], starts[b] + lens[b]) of tok, of the span
// logits, of p_out and of keep_out; positions outside every sequence (padding) are neither
// read nor written. Inputs are f32 or bf16 (raw u16 bits, widened exactly). The safety floor is
// a bitmask per sequence: token i of sequence b is forced when bit i%32 of
// floor[floor_off[b] + i/32] is set (floor may be null: nothing is forced).
//
// Span input. span_mode 0: `span` holds one logit per token. span_mode 1: `span` holds the
// input h of the span CNN's last layer, Conv1d(C -> 1, kernel KW, padding KW/2): element
// (channel c, token t) of sequence b is at starts[b]*h_seq_mul + c*h_chan_stride +
// t*h_tok_stride; weights w[c*KW + j] (PyTorch's [1, C, KW]), positions outside [0, len) count
// as zero, the sum starts at the bias and runs j outer, c inner, one fmaf each.
//
// Keep rule. select_mode 0: keep = floor | (p < threshold); grid (x: chunks of a sequence,
// y: sequences). select_mode 1: per-sequence budget kbudget[b]: floor tokens first, then the
// non-floor tokens with the smallest key (key order = IEEE total order of p, NaN last; ties by
// lower index) up to kbudget[b] in all; one block per sequence (grid x), block of 1024 threads,
// an exact 4-pass radix select over the 32-bit keys, then an in-order scan for the ties.

#define KP_SHIFT 0x4b400000u

__device__ __forceinline__ float kp_exp(float x) {
    if (x != x) {
        return x;
    }
    if (x < -87.0f) {
        x = -87.0f;
    } else if (x > 88.0f) {
        x = 88.0f;
    }
    const float shift = __uint_as_float(KP_SHIFT);
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

__device__ __forceinline__ float kp_sigmoid(float x) {
    return __fdiv_rn(1.0f, __fadd_rn(1.0f, kp_exp(-x)));
}

__device__ __forceinline__ float kp_gate(float tok, float span, float gamma, unsigned int squash) {
    const float g = squash == 0u ? kp_sigmoid(span) : span;
    const float p = kp_sigmoid(__fmaf_rn(-gamma, g, tok));
    return p != p ? __uint_as_float(0x7fc00000u) : p;
}

__device__ __forceinline__ unsigned int kp_key(float p) {
    if (p != p) {
        return 0xffffffffu;
    }
    const unsigned int b = __float_as_uint(p);
    return (b >> 31) ? ~b : (b | 0x80000000u);
}

__device__ __forceinline__ float kp_load(const void* base, unsigned long long idx, unsigned int dtype) {
    if (dtype == 1u) {
        const unsigned int bits = ((const unsigned short*)base)[idx];
        return __uint_as_float(bits << 16);
    }
    return ((const float*)base)[idx];
}

__device__ __forceinline__ bool kp_forced(const unsigned int* floor, unsigned long long word0, unsigned int i) {
    return floor != 0 && ((floor[word0 + (i >> 5)] >> (i & 31u)) & 1u) != 0u;
}

struct KpArgs {
    const void* tok;
    const void* span;
    const float* conv_w;
    float conv_bias;
    unsigned int conv_c;
    unsigned int conv_kw;
    unsigned long long h_seq_mul;
    unsigned long long h_chan_stride;
    unsigned long long h_tok_stride;
    unsigned int in_dtype;
    unsigned int span_mode;
    unsigned int squash;
    float gamma;
};

// The span logit of token i of a sequence of length len starting at element `start`.
__device__ __forceinline__ float kp_span_logit(const KpArgs& a, unsigned long long start, unsigned int i, unsigned int len) {
    if (a.span_mode == 0u) {
        return kp_load(a.span, start + i, a.in_dtype);
    }
    const unsigned long long hb = start * a.h_seq_mul;
    const int half = (int)(a.conv_kw / 2u);
    float acc = a.conv_bias;
    for (unsigned int j = 0; j < a.conv_kw; ++j) {
        const long long t = (long long)i + (long long)j - half;
        if (t < 0 || t >= (long long)len) {
            continue;
        }
        const unsigned long long ht = hb + (unsigned long long)t * a.h_tok_stride;
        for (unsigned int c = 0; c < a.conv_c; ++c) {
            const float h = kp_load(a.span, ht + (unsigned long long)c * a.h_chan_stride, a.in_dtype);
            acc = __fmaf_rn(a.conv_w[c * a.conv_kw + j], h, acc);
        }
    }
    return acc;
}

__device__ __forceinline__ float kp_p(const KpArgs& a, unsigned long long start, unsigned int i, unsigned int len) {
    const float tok = kp_load(a.tok, start + i, a.in_dtype);
    return kp_gate(tok, kp_span_logit(a, start, i, len), a.gamma, a.squash);
}

__device__ void kp_threshold(const KpArgs& a, const unsigned long long* starts, const unsigned int* lens,
                             const unsigned long long* floor_off, const unsigned int* floor, unsigned int nseq,
                             float threshold, float* p_out, unsigned char* keep_out) {
    for (unsigned int b = blockIdx.y; b < nseq; b += gridDim.y) {
        const unsigned long long start = starts[b];
        const unsigned int len = lens[b];
        const unsigned long long w0 = floor != 0 ? floor_off[b] : 0ull;
        for (unsigned int i = blockIdx.x * blockDim.x + threadIdx.x; i < len; i += gridDim.x * blockDim.x) {
            const float p = kp_p(a, start, i, len);
            p_out[start + i] = p;
            keep_out[start + i] = (kp_forced(floor, w0, i) || p < threshold) ? 1 : 0;
        }
    }
}

#define KP_TOPK_THREADS 1024

__device__ void kp_top_k(const KpArgs& a, const unsigned long long* starts, const unsigned int* lens,
                         const unsigned long long* floor_off, const unsigned int* floor, const unsigned int* kbudget,
                         unsigned int nseq, float* p_out, unsigned char* keep_out) {
    __shared__ unsigned int hist[256];
    __shared__ unsigned int warp_cnt[KP_TOPK_THREADS / 32];
    __shared__ unsigned int s_forced;
    __shared__ unsigned int s_digit;
    __shared__ unsigned int s_below;
    const unsigned int tid = threadIdx.x;
    const unsigned int lane = tid & 31u;
    const unsigned int warp = tid >> 5;
    for (unsigned int b = blockIdx.x; b < nseq; b += gridDim.x) {
        const unsigned long long start = starts[b];
        const unsigned int len = lens[b];
        const unsigned long long w0 = floor != 0 ? floor_off[b] : 0ull;
        if (tid == 0) {
            s_forced = 0;
        }
        __syncthreads();
        // Pass 1: p for every token, floor tokens kept.
        unsigned int my_forced = 0;
        for (unsigned int i = tid; i < len; i += blockDim.x) {
            const float p = kp_p(a, start, i, len);
            p_out[start + i] = p;
            const bool f = kp_forced(floor, w0, i);
            keep_out[start + i] = f ? 1 : 0;
            my_forced += f ? 1u : 0u;
        }
        if (my_forced != 0u) {
            atomicAdd(&s_forced, my_forced);
        }
        __syncthreads();
        const unsigned int forced = s_forced;
        const unsigned int free_tokens = len - forced;
        const unsigned int k = kbudget[b];
        unsigned int want = k > forced ? k - forced : 0u;
        if (want > free_tokens) {
            want = free_tokens;
        }
        if (want == 0u) {
            __syncthreads();
            continue;
        }
        if (want == free_tokens) {
            for (unsigned int i = tid; i < len; i += blockDim.x) {
                keep_out[start + i] = 1;
            }
            __syncthreads();
            continue;
        }
        // Passes 2-5: radix select of the want-th smallest key among non-floor tokens.
        unsigned int prefix = 0, mask = 0;
        for (int shift = 24; shift >= 0; shift -= 8) {
            for (unsigned int d = tid; d < 256u; d += blockDim.x) {
                hist[d] = 0;
            }
            __syncthreads();
            for (unsigned int i = tid; i < len; i += blockDim.x) {
                if (kp_forced(floor, w0, i)) {
                    continue;
                }
                const unsigned int key = kp_key(p_out[start + i]);
                if ((key & mask) == prefix) {
                    atomicAdd(&hist[(key >> shift) & 255u], 1u);
                }
            }
            __syncthreads();
            if (tid == 0) {
                unsigned int below = 0, d = 0;
                for (; d < 255u; ++d) {
                    if (below + hist[d] >= want) {
                        break;
                    }
                    below += hist[d];
                }
                s_digit = d;
                s_below = below;
            }
            __syncthreads();
            prefix |= s_digit << shift;
            mask |= 255u << shift;
            want -= s_below;
            __syncthreads();
        }
        // Pass 6: keys below the cut are kept; of the keys equal to it, the first `want` by index.
        unsigned int carry = 0;
        for (unsigned int base = 0; base < len; base += blockDim.x) {
            const unsigned int i = base + tid;
            bool less = false, tie = false;
            if (i < len && !kp_forced(floor, w0, i)) {
                const unsigned int key = kp_key(p_out[start + i]);
                less = key < prefix;
                tie = key == prefix;
            }
            const unsigned int ballot = __ballot_sync(0xffffffffu, tie);
            if (lane == 0) {
                warp_cnt[warp] = __popc(ballot);
            }
            __syncthreads();
            unsigned int before = carry;
            for (unsigned int w = 0; w < warp; ++w) {
                before += warp_cnt[w];
            }
            before += __popc(ballot & ((1u << lane) - 1u));
            if (less || (tie && before < want)) {
                keep_out[start + i] = 1;
            }
            for (unsigned int w = 0; w < blockDim.x / 32u; ++w) {
                carry += warp_cnt[w];
            }
            __syncthreads();
        }
    }
}

extern "C" __global__ void __launch_bounds__(KP_TOPK_THREADS) gate_fusion(const void* tok, const void* span, const float* conv_w, float conv_bias,
                                       unsigned int conv_c, unsigned int conv_kw, unsigned long long h_seq_mul,
                                       unsigned long long h_chan_stride, unsigned long long h_tok_stride,
                                       const unsigned long long* starts, const unsigned int* lens,
                                       const unsigned long long* floor_off, const unsigned int* floor,
                                       const unsigned int* kbudget, unsigned int nseq, unsigned int in_dtype,
                                       unsigned int span_mode, unsigned int squash, float gamma, float threshold,
                                       unsigned int select_mode, float* p_out, unsigned char* keep_out) {
    KpArgs a;
    a.tok = tok;
    a.span = span;
    a.conv_w = conv_w;
    a.conv_bias = conv_bias;
    a.conv_c = conv_c;
    a.conv_kw = conv_kw;
    a.h_seq_mul = h_seq_mul;
    a.h_chan_stride = h_chan_stride;
    a.h_tok_stride = h_tok_stride;
    a.in_dtype = in_dtype;
    a.span_mode = span_mode;
    a.squash = squash;
    a.gamma = gamma;
    if (select_mode == 0u) {
        kp_threshold(a, starts, lens, floor_off, floor, nseq, threshold, p_out, keep_out);
    } else {
        kp_top_k(a, starts, lens, floor_off, floor, kbudget, nseq, p_out, keep_out);
    }
}
