// SPDX-License-Identifier: GPL-2.0-only

package mm

// The firmware memory map and early reservations: arch/x86/kernel/e820.c,
// arch/x86/kernel/setup.c and mm/memblock.c, reduced to what decides zone
// sizes and managed pages.

// pfnRange is a half-open PFN range [start, end).
type pfnRange struct{ start, end uint64 }

func (r pfnRange) pages() uint64 { return r.end - r.start }

// Physical layout constants.
const (
	maxDMAPFN   = 16 << 20 >> PAGE_SHIFT // MAX_DMA_PFN: 16 MiB
	maxDMA32PFN = 4 << 30 >> PAGE_SHIFT  // MAX_DMA32_PFN: 4 GiB
	// kernelPhysStart is CONFIG_PHYSICAL_START, 16 MiB.
	kernelPhysStart = 16 << 20 >> PAGE_SHIFT
	// reserveLowPFN is CONFIG_X86_RESERVE_LOW, 64 KiB, kept from the BIOS.
	reserveLowPFN = 64 << 10 >> PAGE_SHIFT
	// realModePages is what reserve_real_mode takes below 1 MiB for the
	// real-mode trampoline.
	realModePages = 6
)

// e820Usable returns the usable RAM ranges of a machine with mem bytes, laid
// out as QEMU's pc machine does: 639 KiB of conventional memory, then RAM from
// 1 MiB up to the PCI hole, and the rest from 4 GiB. Below 3.5 GiB all RAM
// sits below 4 GiB; from 3.5 GiB on, 3 GiB sit below and the rest above.
// trim_bios_range() has already turned page 0 into a reserved range, and
// ranges are trimmed to whole pages as memblock sees them.
//
// Model: this is the firmware pagesim emulates; ACPI tables, the SeaBIOS
// top-of-low-RAM reservation and similar small reserved ranges are left out.
func e820Usable(mem uint64) []pfnRange {
	low := mem
	if mem >= 0xe0000000 {
		low = 0xc0000000
	}
	r := []pfnRange{
		{1, 0x9fc00 >> PAGE_SHIFT}, // [4 KiB, 639 KiB), page 0 trimmed
		{0x100000 >> PAGE_SHIFT, low >> PAGE_SHIFT},
	}
	if mem > low {
		r = append(r, pfnRange{maxDMA32PFN, maxDMA32PFN + (mem-low)>>PAGE_SHIFT})
	}
	return r
}

// memblock is the early allocator's view: usable memory and reserved ranges.
// Only the reservations that v3.16 makes before the buddy allocator takes
// over and that are large or placed enough to change zone accounting are
// modeled.
type memblock struct {
	memory   []pfnRange // sorted, disjoint
	reserved []pfnRange // unsorted, disjoint
}

// reserve is memblock_reserve.
func (m *memblock) reserve(r pfnRange) {
	if r.end > r.start {
		m.reserved = append(m.reserved, r)
	}
}

// isReserved tells whether pfn lies in a reserved range.
func (m *memblock) isReserved(pfn uint64) bool {
	for _, r := range m.reserved {
		if r.start <= pfn && pfn < r.end {
			return true
		}
	}
	return false
}

// allocTopDown is memblock_find_in_range_node's default top-down search:
// the highest free, aligned range of n pages inside [lo, hi). It returns
// false when nothing fits.
func (m *memblock) allocTopDown(n, align, lo, hi uint64) (pfnRange, bool) {
	for i := len(m.memory) - 1; i >= 0; i-- {
		mr := m.memory[i]
		end := min(mr.end, hi)
		for end >= n && end-n >= max(mr.start, lo) {
			start := (end - n) &^ (align - 1)
			if start < max(mr.start, lo) {
				break
			}
			cand := pfnRange{start, start + n}
			if c, ok := m.overlap(cand); ok {
				end = c.start
				continue
			}
			m.reserve(cand)
			return cand, true
		}
	}
	return pfnRange{}, false
}

// overlap returns a reserved range overlapping r, the lowest-starting one.
func (m *memblock) overlap(r pfnRange) (pfnRange, bool) {
	var found pfnRange
	ok := false
	for _, q := range m.reserved {
		if q.start < r.end && r.start < q.end && (!ok || q.start < found.start) {
			found, ok = q, true
		}
	}
	return found, ok
}

// freeRanges returns usable memory minus reservations, ascending, as
// for_each_free_mem_range walks it.
func (m *memblock) freeRanges() []pfnRange {
	var out []pfnRange
	for _, mr := range m.memory {
		cur := mr.start
		for cur < mr.end {
			next := mr.end
			blocked := false
			for _, q := range m.reserved {
				if q.start <= cur && cur < q.end {
					cur = q.end
					blocked = true
					break
				}
				if q.start > cur && q.start < next {
					next = q.start
				}
			}
			if blocked {
				continue
			}
			out = append(out, pfnRange{cur, min(next, mr.end)})
			cur = next
		}
	}
	return out
}

// presentIn counts usable pages in [lo, hi).
func (m *memblock) presentIn(lo, hi uint64) uint64 {
	var n uint64
	for _, r := range m.memory {
		s, e := max(r.start, lo), min(r.end, hi)
		if e > s {
			n += e - s
		}
	}
	return n
}

// reservedIn counts usable pages in [lo, hi) that are reserved.
func (m *memblock) reservedIn(lo, hi uint64) uint64 {
	var n uint64
	for _, r := range m.reserved {
		for _, mr := range m.memory {
			s := max(r.start, mr.start, lo)
			e := min(r.end, mr.end, hi)
			if e > s {
				n += e - s
			}
		}
	}
	return n
}
