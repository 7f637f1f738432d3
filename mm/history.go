// SPDX-License-Identifier: GPL-2.0-only

package mm

import "fmt"

// Page history (DESIGN §6): for chosen PFNs (or all), the events that led a
// page to its state, in the spirit of page_owner. Disabled, it costs one nil
// check at each recording site.

type pageHistory struct {
	all    bool
	pfns   map[uint64]bool
	events map[uint64][]string
}

// EnablePageHistory records history for the given PFNs, or for every page
// when pfns is empty.
func (s *System) EnablePageHistory(pfns ...uint64) {
	h := &pageHistory{all: len(pfns) == 0, pfns: map[uint64]bool{}, events: map[uint64][]string{}}
	for _, p := range pfns {
		h.pfns[p] = true
	}
	s.hist = h
}

func (h *pageHistory) add(s *System, pfn uint64, what string) {
	if !h.all && !h.pfns[pfn] {
		return
	}
	var ns int64
	if s.clock != nil {
		ns = s.clock.Now()
	}
	h.events[pfn] = append(h.events[pfn], fmt.Sprintf("[%5d.%06d] %s", ns/1e9, ns%1e9/1e3, what))
}

// PageHistory returns the recorded events for pfn, oldest first.
func (s *System) PageHistory(pfn uint64) []string {
	if s.hist == nil {
		return nil
	}
	return s.hist.events[pfn]
}
