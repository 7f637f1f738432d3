// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"pagesim/klog"
	"pagesim/sim"
)

// System is the memory-management state of one booted machine: what the
// kernel keeps in globals (node_data[], vm_stat[], vm_event_states, the
// sysctls, min_free_kbytes) together with the page-frame array.
type System struct {
	cfg Config

	// bh is fs/buffer.c's buffer-head accounting (buffer_head.go).
	bh bhState

	// pages is the memmap, struct page for every PFN up to maxPFN.
	pages []Page
	// heads holds the list heads that frames are linked on.
	heads []links

	nodes []*Node
	// zones lists every zone of every node, node by node, low to high
	// (for_each_zone order).
	zones []*Zone
	// cpuNode maps CPU to node (cpu_to_node).
	cpuNode []int

	maxPFN uint64
	// sectionPresent is the SPARSEMEM present-section map: pfn_valid().
	sectionPresent []bool
	mb             memblock

	vmStat   [NR_VM_ZONE_STAT_ITEMS]int64
	vmEvents [NR_VM_EVENT_ITEMS]uint64

	minFreeKbytes      int
	userMinFreeKbytes  int
	lowmemReserveRatio [MAX_NR_ZONES - 1]int

	totalreservePages   uint64
	dirtyBalanceReserve uint64
	// nodeLoad is find_next_best_node's static node_load[].
	nodeLoad          []int
	zonelistOrderNode bool

	pageGroupByMobilityDisabled bool
	totalramPages               uint64

	// badPage rate limiting state (bad_page's statics).
	badPageResume, badPageShown, badPageUnshown int64
	// nopage_rs, warn_alloc_failed's rate limit.
	nopageRS          ratelimitState
	oomKillerDisabled bool

	// pt holds the page tables' entries.
	pt ptSlab
	// anonVmas is the anon_vma registry: page->mapping names them by index.
	anonVmas []*AnonVMA
	// mms counts address spaces made, for their IDs; mmList holds the
	// live ones.
	mms    int
	mmList []*MMStruct
	// mmlist is init_mm.mmlist, swapoff's list: the mms that have had a
	// swap entry, in list order after init_mm (the head, not in the slice).
	mmlist []*MMStruct
	// unuseMMSeen, if set (by tests), is told of every unuse_mm call.
	unuseMMSeen func(*MMStruct)

	// mappings is the address_space registry: page->mapping names them
	// by index (0 is NULL); radixSlab holds every page-cache tree's nodes.
	mappings  []*AddressSpace
	radixSlab *RadixNodeSlab
	// swapperSpace is the swap cache's address_space (swap_state.go),
	// made by swap_setup at boot; swap holds the swap areas and the rest
	// of the swap globals (swapfile.go).
	swapperSpace *AddressSpace
	swap         swapState
	// dirty holds the vm.dirty_* sysctls and laptop_mode.
	dirty DirtySysctls
	// bdpRatelimits and dirtyThrottleLeaks are the per-CPU counters of
	// balance_dirty_pages_ratelimited (pages dirtied on the CPU since it
	// last looked; pages dirtied by tasks that exited before they were
	// throttled for them), and ratelimitPages is ratelimit_pages.
	bdpRatelimits, dirtyThrottleLeaks []int
	ratelimitPages                    int
	// statBatch is BDI_STAT_BATCH, 8*(1+ilog2(nr_cpu_ids)), set by
	// pageWritebackInit.
	statBatch int64
	// globalDirtyLimit is global_dirty_limit, the hard limit following
	// the threshold down slowly; dirtyUpdateTime is global_update_bandwidth's
	// update_time (jiffies).
	globalDirtyLimit uint64
	dirtyUpdateTime  int64
	// writeoutCompletions is the proportion of writeout completions among
	// bdis, aged every VM_COMPLETIONS_PERIOD_LEN from writeoutPeriodTime
	// (jiffies; 0: the aging timer is off); bdiMinRatio is the sum of the
	// bdis' min_ratio.
	writeoutCompletions fpropGlobal
	writeoutPeriodTime  int64
	bdiMinRatio         uint64

	// pvecs are the per-CPU pagevecs of mm/swap.c.
	pvecs []cpuPagevecs

	// bdis are the registered backing devices (bdi_list); congestion is
	// congestion_wqh and nr_bdi_congested (backing_dev.go).
	bdis       []*BackingDevInfo
	congestion congestion
	// vmSwappiness is vm.swappiness.
	vmSwappiness int

	// patches are the modeled kernel patches in force (kernel/variants.go).
	patches map[string]bool

	// compactHeads are free list heads for compact_control's two lists
	// (compaction.go), reused from one compaction to the next.
	compactHeads []ListHead

	// badLeaked holds the frames bad_page leaked on purpose.
	badLeaked map[uint64]bool

	// onCPUID, when not -1, is the CPU per-CPU work runs on.
	onCPUID int
	// curTask is current(): the scheduler's running task, or bootTask on
	// the scheduler side and without a scheduler. cpu points at what
	// smp_processor_id() answers: onCPUID while that is set, else
	// curTask's CPU. The vmstat diffs, pcp lists and pagevecs ask for the
	// CPU a dozen times per page fault; asking the scheduler each time
	// (two nil checks, three loads) was a few percent of a fault, so the
	// scheduler's OnSwitch hook and onCPU keep both up to date instead.
	// cpu points into the task, so a task pinned to another CPU is seen
	// at once.
	curTask *sim.Task
	cpu     *int
	// hist records page history when enabled (DESIGN §6).
	hist *pageHistory
	// cov collects the fuzzer's coverage signal when enabled (cover.go).
	cov *Coverage
	// userPins counts, per page, the references GetUserPages handed to
	// callers outside mm (direct I/O style pins): the invariant checker
	// counts them among a page's holders. The kernel keeps no such count;
	// nothing in the model's behaviour reads it.
	userPins map[uint64]int32
	// tracer collects tracepoint events when enabled.
	tracer *Tracer
	// memdie holds the tasks with TIF_MEMDIE set: OOM victims, which may
	// use the reserves to exit; sigkill those sent SIGKILL.
	memdie  map[*sim.Task]bool
	sigkill map[*sim.Task]bool
	// procs are the user processes the OOM killer may choose from.
	procs []*OOMProcess
	// oom_kill_process's rate limit (oom_rs).
	oomRS ratelimitState

	log   *klog.Log
	sched *sim.Scheduler
	clock *sim.Clock
	// bootTask stands for current when mm runs outside any task: early
	// boot and tests calling in directly.
	bootTask *sim.Task
}

// Env connects a System to the machine around it.
type Env struct {
	Log   *klog.Log
	Sched *sim.Scheduler
	Clock *sim.Clock
}

// current is the running task, or the boot task outside any task.
func (s *System) current() *sim.Task { return s.curTask }

// smpProcessorID is smp_processor_id(): the running task's CPU, or the CPU
// a per-CPU callback (an IPI, the vmstat worker) runs on.
func (s *System) smpProcessorID() int { return *s.cpu }

// trackCurrent sets curTask and cpu from the scheduler's running task
// (nil on the scheduler side) and onCPUID. Boot calls it, and then the
// scheduler's OnSwitch hook and onCPU whenever either input changes.
func (s *System) trackCurrent(t *sim.Task) {
	if t == nil {
		t = s.bootTask
	}
	s.curTask = t
	if s.onCPUID >= 0 {
		s.cpu = &s.onCPUID
	} else {
		s.cpu = &t.CPU
	}
}

// onCPU runs the caller's per-CPU work as if on cpu (on_each_cpu, a per-CPU
// work item); the returned function restores the previous CPU.
func (s *System) onCPU(cpu int) func() {
	prev := s.onCPUID
	s.onCPUID = cpu
	s.trackCurrent(s.curTask)
	return func() {
		s.onCPUID = prev
		s.trackCurrent(s.curTask)
	}
}

// numaNodeID is numa_node_id().
func (s *System) numaNodeID() int { return s.cpuNode[s.smpProcessorID()] }

// now is the virtual clock in nanoseconds (0 without one).
func (s *System) now() int64 {
	if s.clock == nil {
		return 0
	}
	return s.clock.Now()
}

// jiffies at HZ=1000, from the virtual clock.
func (s *System) jiffies() int64 {
	if s.clock == nil {
		return 0
	}
	return s.clock.Now() / 1e6
}

// Page returns the frame for pfn.
func (s *System) Page(pfn uint64) *Page { return &s.pages[pfn] }

// PFN returns the frame's PFN.
func (s *System) PFN(p *Page) uint64 {
	return uint64((uintptrOf(p) - uintptrOf(&s.pages[0])) / sizeofPage)
}

// MaxPFN is one past the highest PFN.
func (s *System) MaxPFN() uint64 { return s.maxPFN }

// pfnValid is pfn_valid(): the PFN's section has a memmap.
func (s *System) pfnValid(pfn uint64) bool {
	return pfn < s.maxPFN && s.sectionPresent[pfn>>(SECTION_SIZE_BITS-PAGE_SHIFT)]
}

// PageZone is page_zone().
func (s *System) PageZone(p *Page) *Zone {
	return &s.nodes[p.pageToNid()].zones[p.pageZonenum()]
}

// pfnZone is page_zone(pfn_to_page(pfn)).
func (s *System) pfnZone(pfn uint64) *Zone { return s.PageZone(&s.pages[pfn]) }

// Nodes returns the online nodes.
func (s *System) Nodes() []*Node { return s.nodes }

// Zones returns every zone, populated or not, in for_each_zone order.
func (s *System) Zones() []*Zone { return s.zones }

// Log is the kernel log the System reports into.
func (s *System) Log() *klog.Log { return s.log }

// MinFreeKbytes is vm.min_free_kbytes.
func (s *System) MinFreeKbytes() int { return s.minFreeKbytes }

// NrCPUs is num_online_cpus().
func (s *System) NrCPUs() int { return len(s.cpuNode) }

// Config returns the configuration the System booted with.
func (s *System) Config() Config { return s.cfg }

// condResched is cond_resched(): a sleep point where another task may run.
func (s *System) condResched() {
	if s.sched != nil {
		if t := s.sched.Current(); t != nil {
			t.Yield()
		}
	}
}

// scheduleTimeoutUninterruptible sleeps for jiffies ticks.
func (s *System) scheduleTimeoutUninterruptible(jiffies int64) {
	if s.sched != nil {
		if t := s.sched.Current(); t != nil {
			t.Sleep(jiffies * 1e9 / HZ)
		}
	}
}

// scheduleTimeoutKillable is schedule_timeout_killable(): sleep for
// jiffies ticks in TASK_KILLABLE, which a fatal signal ends.
func (s *System) scheduleTimeoutKillable(jiffies int64) {
	s.sleepKillable(jiffies * 1e9 / HZ)
}

// sleepKillable sleeps ns in TASK_KILLABLE: not at all if a fatal signal
// is already pending (schedule() then leaves the task running), and no
// longer than until one comes.
func (s *System) sleepKillable(ns int64) {
	if s.sched == nil {
		return
	}
	if t := s.sched.Current(); t != nil && !s.FatalSignalPending(t) {
		t.SleepKillable(ns)
	}
}

// tifMemdie is test_tsk_thread_flag(t, TIF_MEMDIE).
func (s *System) tifMemdie(t *sim.Task) bool { return s.memdie[t] }

// RegisterBDI is bdi_register(): a backing device joins bdi_list.
// bdi_init comes first: the model's bdis are set up as they register.
func (s *System) RegisterBDI(b *BackingDevInfo) {
	s.bdiInit(b)
	s.bdis = append(s.bdis, b)
}

// SetSwappiness is the vm.swappiness sysctl.
func (s *System) SetSwappiness(v int) error {
	if v < 0 || v > 100 {
		return EINVAL
	}
	s.vmSwappiness = v
	return nil
}
