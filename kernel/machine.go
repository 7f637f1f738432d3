// SPDX-License-Identifier: GPL-2.0-only

// Package kernel boots a machine: it wires the scheduler, the kernel log and
// memory management together from a configuration, the way init/main.c
// brings the kernel up, and runs workloads on it.
package kernel

import (
	"errors"
	"fmt"

	"pagesim/fs"
	"pagesim/fs/ext4"
	"pagesim/fs/tmpfs"
	"pagesim/fs/xfs"
	"pagesim/klog"
	"pagesim/mm"
	"pagesim/sim"
)

// Config describes a machine.
type Config struct {
	// MemBytes, Nodes, CPUs, MovableCoreBytes and MinFreeKbytes are as in
	// mm.Config.
	MemBytes         uint64
	Nodes            int
	CPUs             int
	MovableCoreBytes uint64
	MinFreeKbytes    int
	// Kernel names the modeled kernel (see Kernels); empty means the
	// default. Patches are edits on top ("+ID", "-ID").
	Kernel  string
	Patches []string
	// Seed seeds the machine's one PRNG.
	Seed uint64
	// Policy picks the next task: sim.RoundRobin for readable
	// reproductions, sim.Random for the fuzzer's interleavings.
	Policy sim.Policy
	// Mounts are the filesystems to mount at boot.
	Mounts []MountSpec
	// SwapBytes, when nonzero, is the size of a swap disk (with
	// DefaultDiskLatencyNS) that is formatted and swapped on at boot.
	SwapBytes uint64
}

// MountSpec is one filesystem: its type (ext4, xfs or tmpfs), mount
// point, and the size and one-block request latency of its disk (for tmpfs, the
// size= limit, 0 for none, and no disk).
type MountSpec struct {
	Type      string
	Path      string
	SizeBytes uint64
	LatencyNS int64
}

// DefaultDiskLatencyNS is the time a modeled disk takes for a one-block
// (4 KiB) request; each further block of a merged request adds fs.XferNS.
const DefaultDiskLatencyNS = 100e3

// DefaultConfig is a 1 GiB, 2-CPU, single-node machine.
func DefaultConfig() Config {
	return Config{MemBytes: 1 << 30, Nodes: 1, CPUs: 2, Kernel: DefaultKernel, Seed: 1, Policy: sim.RoundRobin}
}

// Machine is one booted, deterministic machine.
type Machine struct {
	Cfg   Config
	Clock *sim.Clock
	Rand  *sim.Rand
	Sched *sim.Scheduler
	Log   *klog.Log
	MM    *mm.System
	FS    *fs.FS
	// SwapDev is the swap disk (Config.SwapBytes), nil without swap.
	SwapDev *fs.BlockDevice
	Kernel  *Kernel

	fileShadow fileShadow
	// changesInFlight holds, per file page, the contents a call still
	// under way will leave there (a truncate's cut page): a concurrent
	// reader may see the page as before or as after. write(2) needs no
	// entry: the oracle follows it page by page as it copies.
	changesInFlight map[[2]uint64][]uint64
	// readsInFlight are the read()s not yet checked: a page they cover
	// may be read as any of the contents it had while they ran.
	readsInFlight []*readWindow
	// procs lists every process started, for the oracle's view of the
	// mappings other processes hold (truncate zaps their COW copies).
	procs []*Process
	// DataIntegrityErrors counts reads that returned something other than
	// what was written (DESIGN §7).
	DataIntegrityErrors int
}

// Hardware is the dump_stack arch description: pagesim emulates QEMU's pc
// machine's firmware memory map.
const Hardware = "pagesim Standard PC (i440FX + PIIX, 1996), BIOS pagesim 04/01/2014"

// Boot brings a machine up: the PRNG and clock, the scheduler, the kernel
// log, then memory management, and starts the per-CPU vmstat workers.
func Boot(cfg Config) (*Machine, error) {
	if cfg.Kernel == "" {
		cfg.Kernel = DefaultKernel
	}
	k, err := LookupKernel(cfg.Kernel)
	if err != nil {
		return nil, err
	}
	if cfg.CPUs < 1 {
		return nil, errors.New("cpus must be at least 1")
	}
	m := &Machine{Cfg: cfg, Kernel: k}
	m.Rand = sim.NewRand(cfg.Seed)
	m.Clock = sim.NewClock()
	m.Sched = sim.NewScheduler(m.Clock, m.Rand.Fork(), cfg.CPUs, cfg.Policy)
	m.Log = klog.New(klog.Config{
		Clock: m.Clock.Now,
		Current: func() (int, int, string) {
			if t := m.Sched.Current(); t != nil {
				return t.CPU, t.PID, t.Comm
			}
			return 0, 0, "swapper/0"
		},
		Release:  k.Release(),
		Version:  "#1 SMP",
		Hardware: Hardware,
		OopsID:   m.Rand.Uint64(),
	})
	m.Log.Printk(klog.KernNotice, "Linux version %s (pagesim) #1 SMP, modeling %s\n", k.Release(), k.Describe())
	m.MM, err = mm.Boot(mm.Config{
		MemBytes:         cfg.MemBytes,
		Nodes:            cfg.Nodes,
		CPUs:             cfg.CPUs,
		MovableCoreBytes: cfg.MovableCoreBytes,
		MinFreeKbytes:    cfg.MinFreeKbytes,
	}, mm.Env{Log: m.Log, Sched: m.Sched, Clock: m.Clock})
	if err != nil {
		return nil, err
	}
	set, err := k.PatchSet(cfg.Patches)
	if err != nil {
		return nil, err
	}
	m.MM.SetPatches(set)
	m.FS = fs.New(m.MM, m.Sched, m.Log)
	m.fileShadow = fileShadow{}
	m.changesInFlight = map[[2]uint64][]uint64{}
	// A ->writepage that zeroes the part of the last page past EOF
	// changes what a mapping of the page reads there: the oracle follows.
	m.FS.Zeroed = func(ino *fs.Inode, index uint64, from, to int64) {
		k := [2]uint64{ino.Ino(), index}
		if v, ok := m.fileShadow[k]; ok {
			m.setFileShadow(k, mm.ZeroSegmentToken(v, from, to), true)
		}
	}
	for _, ms := range cfg.Mounts {
		var t fs.Type
		switch ms.Type {
		case "ext4":
			t = ext4.Type{}
		case "xfs":
			t = xfs.Type{}
		case "tmpfs":
			t = tmpfs.Type{}
		default:
			return nil, fmt.Errorf("mount %s: unknown filesystem type %q (ext4, xfs, tmpfs)", ms.Path, ms.Type)
		}
		m.requestFSModule(t.Name())
		lat := ms.LatencyNS
		if lat == 0 {
			lat = DefaultDiskLatencyNS
		}
		if _, err := m.FS.Mount(t, ms.Path, ms.SizeBytes, lat); err != nil {
			return nil, fmt.Errorf("mount %s: %v", ms.Path, err)
		}
	}
	if cfg.SwapBytes != 0 {
		if err := m.swapOnAtBoot(cfg.SwapBytes); err != nil {
			return nil, err
		}
	}
	for cpu := 0; cpu < cfg.CPUs; cpu++ {
		m.startVmstatTimer(cpu)
	}
	m.startKhungtaskd()
	// kswapd_init: one kswapd per node.
	for nid := range m.MM.Nodes() {
		m.MM.KswapdRun(nid)
	}
	return m, nil
}

// fsModules are the modules mounting a filesystem type loads, in the order
// modprobe inserts them (dependencies first, as modules.dep of a v3.16
// distribution kernel lists them): ext4 needs jbd2, mbcache and crc16; xfs
// needs libcrc32c. tmpfs is built in.
var fsModules = map[string][]string{
	"ext4": {"jbd2", "mbcache", "crc16", "ext4"},
	"xfs":  {"libcrc32c", "xfs"},
}

// requestFSModule is get_fs_type's request_module("fs-%s") for a
// filesystem not built in: modprobe loads the module and its dependencies,
// which print_modules then lists, most recently loaded first.
func (m *Machine) requestFSModule(fsType string) {
	for _, mod := range fsModules[fsType] {
		m.Log.LoadModule(mod)
	}
}

// startVmstatTimer is start_cpu_timer(): each CPU's vmstat_update runs once
// a second (sysctl_stat_interval), staggered by __round_jiffies_relative's
// per-CPU skew of 3 jiffies so that CPUs do not fold at the same instant.
func (m *Machine) startVmstatTimer(cpu int) {
	const second = int64(1e9)
	skew := int64(cpu) * 3 * 1e6
	next := func(now int64) int64 {
		t := (now+second+skew+second-1)/second*second - skew
		if t <= now {
			t += second
		}
		return t
	}
	var tick func()
	tick = func() {
		m.MM.RefreshCPUVMStats(cpu)
		m.Sched.At(next(m.Clock.Now()), tick)
	}
	m.Sched.At(next(m.Clock.Now()), tick)
}

// Result is how a run ended.
type Result struct {
	// Oops is set when the machine hit BUG() or panic().
	Oops *klog.Oops
	// Err is any other failure (a deadlock, a Go panic in the model).
	Err error
}

// Failed says whether the run ended abnormally.
func (r Result) Failed() bool { return r.Oops != nil || r.Err != nil }

// Run runs the machine's tasks until they have all exited, or, if
// idleNS > 0, until that much virtual time has passed. A BUG or panic in a
// task stops the machine and is returned in the Result, not raised.
func (m *Machine) Run(idleNS int64) (res Result) {
	defer func() {
		if r := recover(); r != nil {
			res = resultFromPanic(r)
		}
	}()
	var err error
	if idleNS > 0 {
		err = m.Sched.RunUntil(m.Clock.Now() + idleNS)
	} else {
		err = m.Sched.Run()
	}
	if err != nil {
		return Result{Err: err}
	}
	return m.Quiesce()
}

// resultFromPanic turns a recovered panic into a Result: a kernel oops is a
// modeled outcome; anything else is a bug in pagesim, reported as an error
// with its value.
func resultFromPanic(r any) Result {
	var tp *sim.TaskPanic
	if e, ok := r.(error); ok && errors.As(e, &tp) {
		r = tp.Value
	}
	if o, ok := r.(*klog.Oops); ok {
		return Result{Oops: o}
	}
	if tp != nil {
		return Result{Err: fmt.Errorf("pagesim internal error in task %d (%s): %v\n%s", tp.PID, tp.Comm, tp.Value, tp.Stack)}
	}
	return Result{Err: fmt.Errorf("pagesim internal error: %v", r)}
}

// Quiesce lets background reclaim finish what it started: kswapd runs
// (in virtual time) until it is back in its sleep, so that pages it had
// isolated are on their lists again. It gives up after a minute of virtual
// time.
func (m *Machine) Quiesce() (res Result) {
	defer func() {
		if r := recover(); r != nil {
			res = resultFromPanic(r)
		}
	}()
	for i := 0; i < 6000 && !m.MM.KswapdIdle(); i++ {
		if err := m.Sched.RunUntil(m.Clock.Now() + 10e6); err != nil {
			return Result{Err: err}
		}
	}
	return Result{}
}

// DaemonsIdle reports whether the kernel threads are idle: every kswapd in
// its sleep (holding no isolated pages) and every flusher waiting for work
// (not in the middle of writing a page back). With the user processes
// also stopped outside the kernel (Process.Quiet, or not started), the
// invariant checker's answer is exact.
func (m *Machine) DaemonsIdle() bool {
	return m.MM.KswapdIdle() && m.FS.FlushersIdle()
}

// Proc reads a /proc file.
func (m *Machine) Proc(path string) (string, error) { return m.MM.ReadProc(path) }

// Close releases the machine's task goroutines.
func (m *Machine) Close() { m.Sched.Stop("machine closed") }
