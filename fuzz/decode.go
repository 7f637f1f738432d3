// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import (
	"encoding/binary"
	"math/rand"

	"pagesim/prog"
)

// maxMutations bounds how many mutations Decode applies, so that one
// input stays one short run.
const maxMutations = 16

// FuzzConfig is the generator's configuration for the native fuzz target:
// small programs on small machines, so that a run takes milliseconds.
var FuzzConfig = GenConfig{Calls: 20, MaxMem: 64 << 20, MaxSize: 8 << 20, MaxDur: 20e6}

// Decode turns fuzz bytes into a program, deterministically: the first 8
// bytes seed the generator, and each further byte (up to maxMutations)
// seeds one mutation. Go's fuzzing engine mutates bytes; this makes its
// byte-level changes into program-level ones (a new seed is a new
// program, a new trailing byte one more mutation).
func Decode(data []byte, cfg GenConfig) *prog.Program {
	var buf [8]byte
	copy(buf[:], data)
	seed := int64(binary.LittleEndian.Uint64(buf[:]))
	p := Generate(rand.New(rand.NewSource(seed)), cfg)
	rest := data[min(len(data), 8):]
	for i, b := range rest[:min(len(rest), maxMutations)] {
		p = Mutate(rand.New(rand.NewSource(seed^int64(i+1)<<40^int64(b))), p, cfg)
	}
	return p
}
