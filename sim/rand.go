package sim

import "math/bits"

// Rand is a machine's deterministic pseudo-random source: xoshiro256**
// seeded through splitmix64.
//
// The generator is written out here rather than taken from math/rand or
// math/rand/v2 because the determinism contract (DESIGN.md §2) requires the
// same seed to give the same machine on every Go release; the standard
// library is free to change how its derived methods (Intn, Shuffle, …)
// consume the underlying stream, and we are not. Every derived method below
// is therefore part of the contract: changing how many values one of them
// draws changes every recorded reproduction.
//
// A Rand is not safe for concurrent use; inside a machine only one task runs
// at a time, so none is needed.
type Rand struct {
	s [4]uint64
}

// splitmix64 advances *x and returns the next splitmix64 output. It is the
// seeding function recommended by the xoshiro authors: it spreads even a
// small or highly regular seed (0, 1, 2, …) over the whole 256-bit state, and
// never yields an all-zero state in practice.
func splitmix64(x *uint64) uint64 {
	*x += 0x9e3779b97f4a7c15
	z := *x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// NewRand returns a generator seeded with seed.
func NewRand(seed uint64) *Rand {
	r := new(Rand)
	r.Seed(seed)
	return r
}

// Seed resets r to the state NewRand(seed) would have.
func (r *Rand) Seed(seed uint64) {
	x := seed
	for i := range r.s {
		r.s[i] = splitmix64(&x)
	}
}

// Uint64 returns the next 64 bits of the stream.
func (r *Rand) Uint64() uint64 {
	s := &r.s
	result := bits.RotateLeft64(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = bits.RotateLeft64(s[3], 45)
	return result
}

// Uint64n returns a uniform value in [0, n). It uses Lemire's
// multiply-and-reject method: unbiased, and in the common case it costs one
// draw and no division, which matters on the scheduler's hot path.
func (r *Rand) Uint64n(n uint64) uint64 {
	if n == 0 {
		panic("sim: Rand.Uint64n called with n == 0")
	}
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		// Only now is the (rare) rejection threshold worth a division.
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}

// Intn returns a uniform value in [0, n). It panics if n <= 0: asking for a
// choice among no alternatives is a bug in the caller, not in the machine.
func (r *Rand) Intn(n int) int {
	if n <= 0 {
		panic("sim: Rand.Intn called with n <= 0")
	}
	return int(r.Uint64n(uint64(n)))
}

// Int63 returns a non-negative 63-bit value.
func (r *Rand) Int63() int64 {
	return int64(r.Uint64() >> 1)
}

// Int63n returns a uniform value in [0, n); it panics if n <= 0.
func (r *Rand) Int63n(n int64) int64 {
	if n <= 0 {
		panic("sim: Rand.Int63n called with n <= 0")
	}
	return int64(r.Uint64n(uint64(n)))
}

// Range returns a uniform value in [lo, hi] (both ends included), the form
// timing jitter is usually specified in. It panics if hi < lo.
func (r *Rand) Range(lo, hi int64) int64 {
	if hi < lo {
		panic("sim: Rand.Range called with hi < lo")
	}
	// The span is computed in uint64 so that the full int64 range does not
	// overflow; a span of 2^64 (lo=MinInt64, hi=MaxInt64) wraps to 0 and
	// is served by a raw draw.
	span := uint64(hi-lo) + 1
	if span == 0 {
		return int64(r.Uint64())
	}
	return lo + int64(r.Uint64n(span))
}

// Float64 returns a uniform value in [0, 1) with 53 bits of precision.
func (r *Rand) Float64() float64 {
	return float64(r.Uint64()>>11) * 0x1p-53
}

// Bool returns true with probability 1/2.
func (r *Rand) Bool() bool {
	return r.Uint64()>>63 != 0
}

// Chance returns true with probability num/den. num <= 0 is never and
// num >= den always; neither draws from the stream, so a fuzzer setting a
// probability to 0 or 1 does not shift every later choice. It panics if
// den <= 0.
func (r *Rand) Chance(num, den int) bool {
	if den <= 0 {
		panic("sim: Rand.Chance called with den <= 0")
	}
	if num <= 0 {
		return false
	}
	if num >= den {
		return true
	}
	return r.Intn(den) < num
}

// Shuffle permutes n elements through swap (Fisher–Yates, drawing from the
// top index down).
func (r *Rand) Shuffle(n int, swap func(i, j int)) {
	if n < 0 {
		panic("sim: Rand.Shuffle called with n < 0")
	}
	for i := n - 1; i > 0; i-- {
		swap(i, r.Intn(i+1))
	}
}

// Fork returns a new generator whose stream is independent of r's, and
// advances r by one draw. Giving each subsystem its own fork keeps one
// subsystem's extra draws from perturbing another's choices, while the whole
// tree still follows from the machine seed.
func (r *Rand) Fork() *Rand {
	return NewRand(r.Uint64())
}
