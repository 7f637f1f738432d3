// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"pagesim/klog"
	"pagesim/sim"
)

// mm/oom_kill.c: when reclaim makes no progress, kill the process whose
// death frees the most memory.

// OOMProcess is what the OOM killer knows of a user process: its task,
// address space and parent (for "sacrifice child").
type OOMProcess struct {
	Task        *sim.Task
	MM          *MMStruct
	Parent      *sim.Task
	OOMScoreAdj int
	// origin is OOM_FLAG_ORIGIN in signal->oom_flags: the process is
	// allocating on behalf of the whole system (swapoff), and is the
	// OOM killer's first choice.
	origin bool
}

// OOM_SCORE_ADJ_MIN: such a task is never killed.
const OOM_SCORE_ADJ_MIN = -1000

// RegisterProcess tells the OOM killer about a user process (the
// for_each_process list); UnregisterProcess is its exit.
func (s *System) RegisterProcess(p *OOMProcess) { s.procs = append(s.procs, p) }

// oomProc is t's entry on the task list, nil for a task the OOM killer
// does not know.
func (s *System) oomProc(t *sim.Task) *OOMProcess {
	for _, p := range s.procs {
		if p.Task == t {
			return p
		}
	}
	return nil
}

// UnregisterProcess removes a process that exited.
func (s *System) UnregisterProcess(t *sim.Task) {
	s.procs = slices.DeleteFunc(s.procs, func(p *OOMProcess) bool { return p.Task == t })
	delete(s.memdie, t)
	delete(s.sigkill, t)
}

// FatalSignalPending is fatal_signal_pending(t): the task was sent SIGKILL.
func (s *System) FatalSignalPending(t *sim.Task) bool {
	// Every system call and every page a process touches asks; almost
	// always nobody has been killed, and the empty test inlines where the
	// map lookup is a runtime call.
	return len(s.sigkill) != 0 && s.sigkill[t]
}

// SendSigkill is do_send_sig_info(SIGKILL, t) (kill(2), or the OOM
// killer's): the signal is pending, and signal_wake_up wakes t if it
// sleeps interruptibly or killably.
func (s *System) SendSigkill(t *sim.Task) {
	s.sigkill[t] = true
	t.SignalWake()
}

// setCurrentOOMOrigin is set_current_oom_origin() (on) and
// clear_current_oom_origin() (off).
func (s *System) setCurrentOOMOrigin(on bool) {
	if p := s.oomProc(s.current()); p != nil {
		p.origin = on
	}
}

// tryToSetZonelistOom is try_set_zonelist_oom(): only one OOM kill per
// zonelist at a time; set ZONE_OOM_LOCKED on every zone of it.
func (s *System) tryToSetZonelistOom(zl *zonelist) bool {
	s.Cover("try_set_zonelist_oom")
	for _, z := range zl.zones {
		if z.oomLocked {
			return false
		}
	}
	for _, z := range zl.zones {
		z.oomLocked = true
	}
	return true
}

// clearZonelistOom is clear_zonelist_oom().
func (s *System) clearZonelistOom(zl *zonelist) {
	for _, z := range zl.zones {
		z.oomLocked = false
	}
}

// oomBadness is oom_badness(): rss + page tables + swap entries, less the
// 3% bonus of a task with CAP_SYS_ADMIN, plus oom_score_adj in thousandths
// of totalpages, at least 1; 0 for a task that must not be killed
// (OOM_SCORE_ADJ_MIN, no mm).
//
// Model: every process runs as root, so has_capability_noaudit(p,
// CAP_SYS_ADMIN) holds for all of them.
func (s *System) oomBadness(p *OOMProcess, totalpages uint64) uint64 {
	s.Cover("oom_badness")
	if p.MM == nil || p.OOMScoreAdj == OOM_SCORE_ADJ_MIN {
		return 0
	}
	points := p.MM.rss[MM_FILEPAGES] + p.MM.rss[MM_ANONPAGES] + p.MM.nrPtes + p.MM.rss[MM_SWAPENTS]
	points -= points * 3 / 100 // root bonus
	points += int64(p.OOMScoreAdj) * int64(totalpages/1000)
	if points > 0 {
		return uint64(points)
	}
	return 1
}

// selectBadProcess is select_bad_process() with
// oom_scan_process_thread(): the highest badness, but first a process
// marked as the OOM origin (swapoff); a task already dying (TIF_MEMDIE, or
// exiting with its mm) makes the caller wait instead (abort), one past
// exit_mm is passed over.
func (s *System) selectBadProcess(totalpages uint64) (chosen *OOMProcess, points uint64, abort bool) {
	s.Cover("select_bad_process")
	for _, p := range s.procs {
		if p.Task.State() == sim.StateDead {
			continue
		}
		if s.memdie[p.Task] {
			return nil, 0, true
		}
		if p.MM == nil {
			continue
		}
		if p.origin { // oom_task_origin: OOM_SCAN_SELECT
			chosen, points = p, math.MaxUint64
			continue
		}
		if p.Task.Flags&sim.PF_EXITING != 0 {
			return nil, 0, true
		}
		pts := s.oomBadness(p, totalpages)
		if pts == 0 || pts < points {
			continue
		}
		if pts == points && chosen != nil {
			continue
		}
		chosen, points = p, pts
	}
	// The caller gets the score normalized to thousandths of totalpages.
	return chosen, points * 1000 / totalpages, false
}

// dumpHeader is dump_header(): who invoked the OOM killer and its cpuset,
// the stack, show_mem(SHOW_MEM_FILTER_NODES) and dump_tasks
// (sysctl_oom_dump_tasks is 1 by default).
func (s *System) dumpHeader(gfp GFP, order uint) {
	s.Cover("dump_header")
	cur := s.current()
	s.logf(klog.KernWarning, "%s invoked oom-killer: gfp_mask=0x%x, order=%d, oom_score_adj=%d\n",
		cur.Comm, uint32(gfp), order, s.OOMScoreAdj(cur))
	s.cpusetPrintTaskMemsAllowed(cur.Comm)
	s.dumpStack(0)
	s.showMem(SHOW_MEM_FILTER_NODES)
	s.dumpTasks()
}

// dumpTasks is dump_tasks(): one line per process the OOM killer could
// kill, in for_each_process order, with its mm's counters.
//
// Model: every process runs as uid 0 and is its thread group's only
// thread (tgid = pid); a kernel thread or a process without an mm is
// skipped, as oom_unkillable_task and find_lock_task_mm skip them.
func (s *System) dumpTasks() {
	s.logf(klog.KernInfo, "[ pid ]   uid  tgid total_vm      rss nr_ptes swapents oom_score_adj name\n")
	for _, p := range s.procs {
		if p.MM == nil || p.Task.State() == sim.StateDead || p.Task.Flags&sim.PF_KTHREAD != 0 {
			continue
		}
		m := p.MM
		s.logf(klog.KernInfo, "[%5d] %5d %5d %8d %8d %7d %8d         %5d %s\n", p.Task.PID, 0, p.Task.PID,
			m.totalVM, m.rss[MM_FILEPAGES]+m.rss[MM_ANONPAGES], m.nrPtes, m.rss[MM_SWAPENTS], int16(p.OOMScoreAdj), p.Task.Comm)
	}
}

// OOMScoreAdj returns a process's oom_score_adj (signal->oom_score_adj),
// 0 for a task the OOM killer does not know.
func (s *System) OOMScoreAdj(t *sim.Task) int {
	if p := s.oomProc(t); p != nil {
		return p.OOMScoreAdj
	}
	return 0
}

// OOM_SCORE_ADJ_MAX is the highest oom_score_adj.
const OOM_SCORE_ADJ_MAX = 1000

// ErrOOMScoreAdjRange is the EINVAL of a value outside
// OOM_SCORE_ADJ_MIN..OOM_SCORE_ADJ_MAX.
var ErrOOMScoreAdjRange = errors.New("EINVAL")

// SetOOMScoreAdj is a write to /proc/PID/oom_score_adj
// (oom_score_adj_write in fs/proc/base.c): a value outside -1000..1000 is
// EINVAL; otherwise the task's signal->oom_score_adj becomes it.
//
// Model: every task runs as root, with CAP_SYS_RESOURCE, so lowering the
// value below signal->oom_score_adj_min is always allowed, and
// oom_score_adj_min, which only holds back unprivileged writers, is not
// kept; a task the OOM killer does not know (one that has exited) is ESRCH.
func (s *System) SetOOMScoreAdj(t *sim.Task, adj int) error {
	if adj < OOM_SCORE_ADJ_MIN || adj > OOM_SCORE_ADJ_MAX {
		return ErrOOMScoreAdjRange
	}
	p := s.oomProc(t)
	if p == nil {
		return ErrNoProcess
	}
	p.OOMScoreAdj = adj
	return nil
}

// ErrNoProcess is the ESRCH of /proc/PID of a process that is gone.
var ErrNoProcess = errors.New("ESRCH")

// oomKillProcess is oom_kill_process(): prefer the victim's child with the
// highest badness (with its own mm), report, set TIF_MEMDIE and send
// SIGKILL.
func (s *System) oomKillProcess(p *OOMProcess, gfp GFP, order uint, points, totalpages uint64, message string) {
	s.Cover("oom_kill_process")
	if p.Task.Flags&sim.PF_EXITING != 0 {
		s.memdie[p.Task] = true
		return
	}
	if s.ratelimitOOM() {
		s.dumpHeader(gfp, order)
	}
	s.logf(klog.KernErr, "%s: Kill process %d (%s) score %d or sacrifice child\n", message, p.Task.PID, p.Task.Comm, points)
	victim := p
	var victimPoints uint64
	for _, c := range s.procs {
		if c.Parent != p.Task || c.MM == p.MM || c.Task.State() == sim.StateDead {
			continue
		}
		if cp := s.oomBadness(c, totalpages); cp > victimPoints {
			victim, victimPoints = c, cp
		}
	}
	if victim.MM == nil {
		return
	}
	m := victim.MM
	k := func(pages int64) int64 { return pages << (PAGE_SHIFT - 10) }
	s.logf(klog.KernErr, "Killed process %d (%s) total-vm:%dkB, anon-rss:%dkB, file-rss:%dkB\n",
		victim.Task.PID, victim.Task.Comm, k(int64(m.totalVM)), k(m.rss[MM_ANONPAGES]), k(m.rss[MM_FILEPAGES]))
	for _, o := range s.procs {
		if o.MM == m && o != victim && o.Task.Flags&sim.PF_KTHREAD == 0 && o.OOMScoreAdj != OOM_SCORE_ADJ_MIN {
			s.logf(klog.KernErr, "Kill process %d (%s) sharing same memory\n", o.Task.PID, o.Task.Comm)
			s.SendSigkill(o.Task)
		}
	}
	s.memdie[victim.Task] = true
	s.SendSigkill(victim.Task)
	if s.hist != nil {
		s.hist.add(s, 0, fmt.Sprintf("oom kill pid %d", victim.Task.PID))
	}
}

// ratelimitOOM is __ratelimit(&oom_rs), oom_kill_process's
// DEFAULT_RATELIMIT state.
func (s *System) ratelimitOOM() bool { return s.ratelimit(&s.oomRS, "oom_kill_process") }

// outOfMemory is out_of_memory(): a task already being killed just gets
// the reserves; otherwise choose a victim and kill it, or panic if there is
// none; the caller then sleeps a jiffy so the victim can exit.
//
// Model: no OOM notifiers, cpusets or memory policies (CONSTRAINT_NONE);
// vm.panic_on_oom and oom_kill_allocating_task are 0.
func (s *System) outOfMemory(zl *zonelist, gfp GFP, order uint) {
	s.Cover("out_of_memory")
	cur := s.current()
	if s.sigkill[cur] || cur.Flags&sim.PF_EXITING != 0 {
		s.memdie[cur] = true
		return
	}
	totalpages := s.totalramPages + uint64(s.totalSwapPagesForOOM())
	p, points, abort := s.selectBadProcess(totalpages)
	if p == nil && !abort {
		s.dumpHeader(gfp, order)
		if s.log != nil {
			s.log.Panic("Out of memory and no killable processes...\n")
		}
		panic("Out of memory and no killable processes...")
	}
	if !abort {
		s.oomKillProcess(p, gfp, order, points, totalpages, "Out of memory")
		s.scheduleTimeoutKillable(1)
	}
}

// pagefaultOutOfMemory is pagefault_out_of_memory(): a user fault that
// ran out of memory calls the OOM killer (unconstrained, gfp 0, order 0)
// unless one is already running on node 0's GFP_KERNEL zonelist.
//
// Model: no memcg OOM (mem_cgroup_oom_synchronize is false).
func (s *System) pagefaultOutOfMemory() {
	s.Cover("pagefault_out_of_memory")
	zl := s.nodeZonelist(0, GFP_KERNEL)
	if s.tryToSetZonelistOom(zl) {
		s.outOfMemory(zl, 0, 0)
		s.clearZonelistOom(zl)
	}
}

// totalSwapPagesForOOM is total_swap_pages as constrained_alloc adds it.
func (s *System) totalSwapPagesForOOM() int64 { return s.totalSwapPages() }
