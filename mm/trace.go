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

// kbps is the writeback tracepoints' KBps(): pages to KiB.
func kbps(x uint64) uint64 { return x << (PAGE_SHIFT - 10) }

// traceGlobalDirtyState is trace_global_dirty_state (global_dirty_limits).
func (s *System) traceGlobalDirtyState(background, dirty uint64) {
	s.emit("global_dirty_state", "dirty=%d writeback=%d unstable=%d bg_thresh=%d thresh=%d limit=%d dirtied=%d written=%d",
		s.GlobalPageState(NR_FILE_DIRTY), s.GlobalPageState(NR_WRITEBACK), s.GlobalPageState(NR_UNSTABLE_NFS),
		background, dirty, s.globalDirtyLimit, s.GlobalPageState(NR_DIRTIED), s.GlobalPageState(NR_WRITTEN))
}

// traceBdiDirtyRatelimit is trace_bdi_dirty_ratelimit
// (bdi_update_dirty_ratelimit), rates in KiB/s.
func (s *System) traceBdiDirtyRatelimit(b *BackingDevInfo, dirtyRate, taskRatelimit uint64) {
	s.emit("bdi_dirty_ratelimit", "bdi %s: write_bw=%d awrite_bw=%d dirty_rate=%d dirty_ratelimit=%d task_ratelimit=%d balanced_dirty_ratelimit=%d",
		b.Name, kbps(b.writeBandwidth), kbps(b.avgWriteBandwidth), kbps(dirtyRate), kbps(b.dirtyRatelimit),
		kbps(taskRatelimit), kbps(b.balancedDirtyRatelimit))
}

// traceBalanceDirtyPages is trace_balance_dirty_pages: the limits and
// setpoints in pages, the rates in KiB/s, the times in ms.
func (s *System) traceBalanceDirtyPages(b *BackingDevInfo, thresh, bgThresh, dirty, bdiThresh, bdiDirty,
	dirtyRatelimit, taskRatelimit, dirtied uint64, period, pause, startTime int64) {
	freerun := (thresh + bgThresh) / 2
	setpoint := (s.globalDirtyLimit + freerun) / 2
	cur := s.current()
	jiffies := s.jiffies()
	var think int64
	if cur.DirtyPausedWhen != 0 {
		think = (jiffies - cur.DirtyPausedWhen) * 1000 / HZ
	}
	s.emit("balance_dirty_pages", "bdi %s: limit=%d setpoint=%d dirty=%d bdi_setpoint=%d bdi_dirty=%d dirty_ratelimit=%d task_ratelimit=%d dirtied=%d dirtied_pause=%d paused=%d pause=%d period=%d think=%d",
		b.Name, s.globalDirtyLimit, setpoint, dirty, setpoint*bdiThresh/(thresh+1), bdiDirty,
		kbps(dirtyRatelimit), kbps(taskRatelimit), uint32(dirtied), uint32(cur.NrDirtiedPause),
		(jiffies-startTime)*1000/HZ, pause*1000/HZ, period*1000/HZ, think)
}
