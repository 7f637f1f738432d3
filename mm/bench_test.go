package mm

import (
	"runtime"
	"sync"
	"testing"
	"unsafe"
)

// Benchmarks for the page allocator's hot paths and for boot (DESIGN §4).
// DESIGN §10 quotes figures as ratios to a baseline run in the same process,
// so that they compare across hosts: BenchmarkBaselinePool4KiB is that
// baseline. Every benchmark here finishes well under a second with
// -benchtime=1x, so CI may run them once as a smoke test.

// bootBench boots the 1 GiB, one-node, two-CPU machine the allocator
// benchmarks run on. The call runs outside any task, on CPU 0.
func bootBench(b *testing.B) *System {
	b.Helper()
	s, err := Boot(Config{MemBytes: 1 << 30, Nodes: 1, CPUs: 2}, Env{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// checkBench fails the benchmark if the allocator's state went bad.
func checkBench(b *testing.B, s *System) {
	b.Helper()
	if v := s.CheckInvariants(); len(v) != 0 {
		b.Fatalf("invariants violated after benchmark: %v", v)
	}
}

// pool4KiB is the baseline's free list of 4 KiB host buffers.
var pool4KiB = sync.Pool{New: func() any { return new([4096]byte) }}

// BenchmarkBaselinePool4KiB is the baseline: taking a 4 KiB buffer from a
// sync.Pool and putting it back, the host's closest counterpart of an
// order-0 alloc_pages/__free_pages pair. sync.Pool keeps a per-P cache in
// front of a shared list just as the allocator keeps per-CPU pcp lists in
// front of the buddy lists, so "1" measures the per-CPU cache hit (like
// AllocFreeOrder0) and "1000" holds 1000 buffers before returning them,
// spilling into the shared lists (like AllocFreeOrder0/batch1000). Quote the
// allocator's ns/page as a multiple of this ns/page.
func BenchmarkBaselinePool4KiB(b *testing.B) {
	b.Run("1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p := pool4KiB.Get().(*[4096]byte)
			p[0]++
			pool4KiB.Put(p)
		}
	})
	b.Run("1000", func(b *testing.B) {
		b.ReportAllocs()
		bufs := make([]*[4096]byte, 1000)
		for b.Loop() {
			for i := range bufs {
				bufs[i] = pool4KiB.Get().(*[4096]byte)
				bufs[i][0]++
			}
			for i, p := range bufs {
				pool4KiB.Put(p)
				bufs[i] = nil
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(bufs)), "ns/page")
	})
}

// BenchmarkAllocFreeOrder0 measures alloc_pages(GFP_KERNEL, 0) with
// __free_pages. "1" frees each page at once, so every allocation is a hit
// at the head of this CPU's pcp list; "batch1000" takes 1000 pages before
// freeing them, so the pcp list is refilled from the buddy lists by
// rmqueue_bulk and drained back by free_pcppages_bulk (merging buddies)
// every pcp->batch pages.
func BenchmarkAllocFreeOrder0(b *testing.B) {
	b.Run("1", func(b *testing.B) {
		s := bootBench(b)
		b.ReportAllocs()
		for b.Loop() {
			pfn, ok := s.AllocPages(GFP_KERNEL, 0)
			if !ok {
				b.Fatal("allocation failed")
			}
			s.FreePages(pfn, 0)
		}
		checkBench(b, s)
	})
	b.Run("batch1000", func(b *testing.B) {
		s := bootBench(b)
		pfns := make([]uint64, 1000)
		b.ReportAllocs()
		for b.Loop() {
			for i := range pfns {
				pfn, ok := s.AllocPages(GFP_KERNEL, 0)
				if !ok {
					b.Fatal("allocation failed")
				}
				pfns[i] = pfn
			}
			for _, pfn := range pfns {
				s.FreePages(pfn, 0)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pfns)), "ns/page")
		checkBench(b, s)
	})
}

// BenchmarkAllocFreeOrder9 measures an order-9 (2 MiB, pageblock-sized)
// alloc_pages(GFP_KERNEL, 9) with __free_pages: straight from and to the
// buddy lists, splitting and merging, with free_pages_check and
// check_new_page on all 512 subpages.
func BenchmarkAllocFreeOrder9(b *testing.B) {
	s := bootBench(b)
	b.ReportAllocs()
	for b.Loop() {
		pfn, ok := s.AllocPages(GFP_KERNEL, 9)
		if !ok {
			b.Fatal("allocation failed")
		}
		s.FreePages(pfn, 9)
	}
	checkBench(b, s)
}

// benchBoot boots a machine of memBytes per iteration and reports, besides
// ns/op, the host memory the model spends per simulated page:
//
//   - frame-bytes/page: unsafe.Sizeof(Page{}), the memmap's share alone;
//   - bytes/page: the live heap a booted System holds (measured with
//     runtime.MemStats after a GC, before and after the last boot), divided
//     by the managed pages (totalram_pages). It includes the frames of
//     holes and of memory the simulated kernel reserved, the list heads,
//     pageblock bitmaps and everything else Boot keeps. DESIGN's target,
//     as for struct page, is at most 64.
func benchBoot(b *testing.B, memBytes uint64) {
	cfg := Config{MemBytes: memBytes, Nodes: 1, CPUs: 2}
	var s *System
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	b.ReportAllocs()
	for b.Loop() {
		s = nil // let the previous machine go before the next is built
		var err error
		s, err = Boot(cfg, Env{})
		if err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	live := float64(m1.HeapAlloc) - float64(m0.HeapAlloc)
	managed := float64(s.totalramPages)
	b.ReportMetric(float64(unsafe.Sizeof(Page{})), "frame-bytes/page")
	b.ReportMetric(live/managed, "bytes/page")
	b.ReportMetric(managed, "pages")
	runtime.KeepAlive(s)
}

// BenchmarkBoot1GiB boots the allocator benchmarks' machine.
func BenchmarkBoot1GiB(b *testing.B) { benchBoot(b, 1<<30) }

// BenchmarkBoot64GiB boots a 64 GiB machine: DESIGN §4 asks for 64 GiB
// simulated in about 1 GiB of host memory.
func BenchmarkBoot64GiB(b *testing.B) { benchBoot(b, 64<<30) }
