// SPDX-License-Identifier: GPL-2.0-only

package mm

import "sync"

// The memmap is the biggest allocation of a machine (64 bytes a page).
// A fuzzing campaign boots thousands of small machines a second and
// throws each away milliseconds later; handing their memmaps back
// (System.Release) spares the garbage collector most of that work.
var memmapPool sync.Pool // of *[]Page

// getMemmap returns a zeroed memmap of n frames, reusing a released one
// when one is big enough.
func getMemmap(n uint64) []Page {
	if v, ok := memmapPool.Get().(*[]Page); ok && uint64(cap(*v)) >= n {
		pages := (*v)[:n]
		clear(pages)
		return pages
	}
	return make([]Page, n)
}

// Release hands the machine's memmap back for reuse. The machine must be
// finished with: nothing may run on it or read its pages afterwards (its
// log, kept elsewhere, may still be read).
func (s *System) Release() {
	if s.pages == nil {
		return
	}
	pages := s.pages
	s.pages = nil
	memmapPool.Put(&pages)
}
