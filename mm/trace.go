// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"fmt"
	"strings"
)

// Tracepoints in the ftrace text format (include/trace/events/kmem.h and
// friends). A disabled tracer costs one nil check per tracepoint; nothing is
// formatted unless the event is enabled.

// Tracer collects enabled tracepoint events as /sys/kernel/debug/tracing/trace
// lines.
type Tracer struct {
	enabled map[string]bool
	all     bool
	lines   []string
}

// NewTracer enables the named events; "all" (or an empty list) enables
// every event, and a name ending in "*" enables a prefix.
func NewTracer(events []string) *Tracer {
	t := &Tracer{enabled: map[string]bool{}}
	if len(events) == 0 {
		t.all = true
	}
	for _, e := range events {
		if e == "all" {
			t.all = true
		}
		t.enabled[e] = true
	}
	return t
}

func (t *Tracer) on(event string) bool {
	if t.all || t.enabled[event] {
		return true
	}
	for e := range t.enabled {
		if strings.HasSuffix(e, "*") && strings.HasPrefix(event, strings.TrimSuffix(e, "*")) {
			return true
		}
	}
	return false
}

// Lines returns the trace so far.
func (t *Tracer) Lines() []string { return t.lines }

// SetTracer attaches a tracer (nil detaches).
func (s *System) SetTracer(t *Tracer) { s.tracer = t }

// emit formats one trace line: comm-pid, CPU, irq-info, timestamp, event.
//
// Model: the irq-info column is always "....": interrupts and preemption
// are not modeled.
func (s *System) emit(event, format string, args ...any) {
	t := s.tracer
	if !t.on(event) {
		return
	}
	cur := s.current()
	var ns int64
	if s.clock != nil {
		ns = s.clock.Now()
	}
	t.lines = append(t.lines, fmt.Sprintf("%16s-%-5d [%03d] .... %5d.%06d: %s: %s",
		cur.Comm, cur.PID, s.smpProcessorID(), ns/1e9, ns%1e9/1e3, event, fmt.Sprintf(format, args...)))
}

func pagePtr(pfn uint64) uint64 { return VMEMMAP_START + pfn*SizeofStructPage }

func (s *System) traceMmPageFree(pfn uint64, order uint) {
	if s.tracer != nil {
		s.emit("mm_page_free", "page=%016x pfn=%d order=%d", pagePtr(pfn), pfn, order)
	}
}

func (s *System) traceMmPageFreeBatched(pfn uint64, cold bool) {
	if s.tracer != nil {
		s.emit("mm_page_free_batched", "page=%016x pfn=%d order=0 cold=%d", pagePtr(pfn), pfn, b2i(cold))
	}
}

func (s *System) traceMmPageAlloc(pfn uint64, ok bool, order uint, gfp GFP, mt int) {
	if s.tracer != nil {
		ptr, p := "(null)", uint64(0)
		if ok {
			ptr, p = fmt.Sprintf("%016x", pagePtr(pfn)), pfn
		}
		s.emit("mm_page_alloc", "page=%s pfn=%d order=%d migratetype=%d gfp_flags=%s", ptr, p, order, mt, showGFPFlags(gfp))
	}
}

func (s *System) traceMmPageAllocZoneLocked(pfn uint64, ok bool, order uint, mt int) {
	if s.tracer != nil {
		ptr, p := "(null)", uint64(0)
		if ok {
			ptr, p = fmt.Sprintf("%016x", pagePtr(pfn)), pfn
		}
		s.emit("mm_page_alloc_zone_locked", "page=%s pfn=%d order=%d migratetype=%d percpu_refill=%d",
			ptr, p, order, mt, b2i(order == 0))
	}
}

func (s *System) traceMmPagePcpuDrain(pfn uint64, order uint, mt int) {
	if s.tracer != nil {
		s.emit("mm_page_pcpu_drain", "page=%016x pfn=%d order=%d migratetype=%d", pagePtr(pfn), pfn, order, mt)
	}
}

func (s *System) traceMmPageAllocExtfrag(pfn uint64, allocOrder, fallbackOrder uint, allocMT, fallbackMT, newMT int) {
	if s.tracer != nil {
		s.emit("mm_page_alloc_extfrag",
			"page=%016x pfn=%d alloc_order=%d fallback_order=%d pageblock_order=%d alloc_migratetype=%d fallback_migratetype=%d fragmenting=%d change_ownership=%d",
			pagePtr(pfn), pfn, allocOrder, fallbackOrder, pageblockOrder, allocMT, fallbackMT,
			b2i(fallbackOrder < pageblockOrder), b2i(newMT == allocMT))
	}
}

// gfpFlagNames is show_gfp_flags()'s table: composites first, so that the
// most bits match first.
var gfpFlagNames = []struct {
	mask GFP
	name string
}{
	{GFP_TRANSHUGE, "GFP_TRANSHUGE"},
	{GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE"},
	{GFP_HIGHUSER, "GFP_HIGHUSER"},
	{GFP_USER, "GFP_USER"},
	{GFP_TEMPORARY, "GFP_TEMPORARY"},
	{GFP_KERNEL, "GFP_KERNEL"},
	{GFP_NOFS, "GFP_NOFS"},
	{GFP_ATOMIC, "GFP_ATOMIC"},
	{GFP_NOIO, "GFP_NOIO"},
	{GFP_HIGH, "GFP_HIGH"},
	{GFP_WAIT, "GFP_WAIT"},
	{GFP_IO, "GFP_IO"},
	{GFP_COLD, "GFP_COLD"},
	{GFP_NOWARN, "GFP_NOWARN"},
	{GFP_REPEAT, "GFP_REPEAT"},
	{GFP_NOFAIL, "GFP_NOFAIL"},
	{GFP_NORETRY, "GFP_NORETRY"},
	{GFP_COMP, "GFP_COMP"},
	{GFP_ZERO, "GFP_ZERO"},
	{GFP_NOMEMALLOC, "GFP_NOMEMALLOC"},
	{GFP_MEMALLOC, "GFP_MEMALLOC"},
	{GFP_HARDWALL, "GFP_HARDWALL"},
	{GFP_THISNODE_, "GFP_THISNODE"},
	{GFP_RECLAIMABLE, "GFP_RECLAIMABLE"},
	{GFP_MOVABLE, "GFP_MOVABLE"},
	{GFP_NOTRACK, "GFP_NOTRACK"},
	{GFP_NO_KSWAPD, "GFP_NO_KSWAPD"},
	{GFP_OTHER_NODE, "GFP_OTHER_NODE"},
}

// showGFPFlags is show_gfp_flags(): __print_flags over the table, leftover
// bits in hex, "GFP_NOWAIT" for none.
func showGFPFlags(g GFP) string {
	if g == 0 {
		return "GFP_NOWAIT"
	}
	var parts []string
	for _, f := range gfpFlagNames {
		if f.mask != 0 && g&f.mask == f.mask {
			parts = append(parts, f.name)
			g &^= f.mask
		}
	}
	if g != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint32(g)))
	}
	return strings.Join(parts, "|")
}

// ParseGFP reads GFP flags written as show_gfp_flags prints them
// ("GFP_KERNEL|GFP_COMP") or as a number.
func ParseGFP(text string) (GFP, error) {
	if text == "GFP_NOWAIT" || text == "0" {
		return 0, nil
	}
	var g GFP
	for _, part := range strings.Split(text, "|") {
		part = strings.TrimSpace(part)
		found := false
		for _, f := range gfpFlagNames {
			if f.name == part {
				g |= f.mask
				found = true
				break
			}
		}
		if !found {
			switch part {
			case "GFP_DMA":
				g |= GFP_DMA
			case "GFP_DMA32":
				g |= GFP_DMA32
			case "GFP_HIGHMEM":
				g |= GFP_HIGHMEM
			case "GFP_FS":
				g |= GFP_FS
			case "GFP_WRITE":
				g |= GFP_WRITE
			default:
				var v uint64
				if _, err := fmt.Sscanf(part, "0x%x", &v); err != nil || v >= 1<<GFP_BITS_SHIFT {
					return 0, fmt.Errorf("unknown GFP flag %q", part)
				}
				g |= GFP(v)
			}
		}
	}
	return g, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
