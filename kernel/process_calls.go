// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"errors"
	"fmt"

	"pagesim/fs"
	"pagesim/mm"
)

// The system calls and kernel entry points that programs (package prog)
// need beyond process.go: madvise, mlock, msync's flag checks, the vm
// sysctls, and the driver-style page allocator calls. Each is a thin layer
// over mm that does what the kernel's syscall entry does before mm is
// reached, and returns the errno Linux returns.

// More errnos.
var (
	ENOSYS    = errors.New("ENOSYS")
	EOVERFLOW = errors.New("EOVERFLOW")
	EPERM     = errors.New("EPERM")
	EAGAIN    = errors.New("EAGAIN")
)

// Exited says whether the process has exited (by exit, or killed by the
// OOM killer at a system call boundary).
func (p *Process) Exited() bool { return p.exited }

// HasFD is fdget()'s test: whether fd is an open descriptor.
func (p *Process) HasFD(fd int) bool {
	_, ok := p.files[fd]
	return ok
}

// Sleep is nanosleep(): the task sleeps ns of virtual time, interruptibly:
// a fatal signal (the OOM killer's SIGKILL) ends the sleep at once.
func (p *Process) Sleep(ns int64) error {
	if p.dying() {
		return EINTR
	}
	p.quietSleep(func() { p.Task.SleepInterruptible(ns) })
	if p.dying() {
		return EINTR
	}
	return nil
}

// Madvise is madvise(addr, length, advice).
func (p *Process) Madvise(addr, length uint64, advice int) error {
	if p.dying() {
		return EINTR
	}
	err := p.m.MM.Madvise(p.MM, addr, length, advice)
	if advice == mm.MADV_DONTNEED {
		p.forgetZapped(addr, length)
	}
	return mapMMErr(err)
}

// forgetZapped updates the oracle for MADV_DONTNEED over [addr,
// addr+length): madvise_dontneed zaps each VMA of the range in address
// order until one refuses (VM_LOCKED, VM_HUGETLB, VM_PFNMAP), so what this
// process wrote to private memory there is gone. Its anonymous pages
// read back as zeroes, its private file pages as the file. Shared
// mappings keep their data in the file, whose shadow is unchanged.
func (p *Process) forgetZapped(addr, length uint64) {
	end := addr + (length+mm.PAGE_SIZE-1)&^(mm.PAGE_SIZE-1)
	if addr&(mm.PAGE_SIZE-1) != 0 || end <= addr {
		return // refused before any VMA (or an empty range)
	}
	for _, v := range p.MM.VMAs() {
		if v.End <= addr || v.Start >= end {
			continue
		}
		if v.Flags&(mm.VM_LOCKED|mm.VM_HUGETLB|mm.VM_PFNMAP) != 0 {
			return
		}
		p.shadow.deleteRange(max(v.Start, addr), min(v.End, end))
	}
}

// Mlock is mlock(addr, length).
func (p *Process) Mlock(addr, length uint64) error {
	if p.dying() {
		return EINTR
	}
	var err error
	// __mlock_vma_pages_range faults a writable private mapping in with
	// FOLL_WRITE.
	p.watchPrivateCopies(addr, length, func() { err = p.m.MM.Mlock(p.MM, addr, length) })
	return mapMMErr(err)
}

// Munlock is munlock(addr, length).
func (p *Process) Munlock(addr, length uint64) error {
	if p.dying() {
		return EINTR
	}
	return mapMMErr(p.m.MM.Munlock(p.MM, addr, length))
}

// msync(2) flags, include/uapi/asm-generic/mman-common.h.
const (
	MS_ASYNC      = 1
	MS_INVALIDATE = 2
	MS_SYNC       = 4
)

// MsyncFlags is sys_msync() with its flags: unknown bits, an unaligned
// address, or MS_ASYNC with MS_SYNC are EINVAL; a range that wraps is
// ENOMEM. Then the VMAs of the range are walked in address order: a gap
// before one is remembered as ENOMEM (returned at the end), MS_INVALIDATE
// over a VM_LOCKED VMA is EBUSY at once, and MS_SYNC fsyncs the file of
// each shared file mapping (v3.16's MS_ASYNC does nothing more).
func (p *Process) MsyncFlags(addr, length uint64, flags int) error {
	if p.dying() {
		return EINTR
	}
	if flags&^(MS_ASYNC|MS_INVALIDATE|MS_SYNC) != 0 || addr&(mm.PAGE_SIZE-1) != 0 {
		return EINVAL
	}
	if flags&MS_ASYNC != 0 && flags&MS_SYNC != 0 {
		return EINVAL
	}
	end := addr + (length+mm.PAGE_SIZE-1)&^(mm.PAGE_SIZE-1)
	if end < addr {
		return ENOMEM
	}
	if end == addr {
		return nil
	}
	start := addr
	var unmapped error
	vmas := p.MM.VMAs()
	i := 0
	for i < len(vmas) && vmas[i].End <= start { // find_vma
		i++
	}
	for {
		if i >= len(vmas) {
			return ENOMEM
		}
		v := vmas[i]
		if start < v.Start {
			start = v.Start
			if start >= end {
				return ENOMEM
			}
			unmapped = ENOMEM
		}
		if flags&MS_INVALIDATE != 0 && v.Flags&mm.VM_LOCKED != 0 {
			return EBUSY
		}
		start = v.End
		if flags&MS_SYNC != 0 && v.File != nil && v.Flags&mm.VM_SHARED != 0 {
			// vfs_fsync of the VMA's file: Msync of one page of it.
			if err := p.Msync(v.Start, mm.PAGE_SIZE, true); err != nil {
				return err
			}
			if start >= end {
				return unmapped
			}
			// find_vma again: the fsync slept and the VMAs may have
			// changed.
			vmas = p.MM.VMAs()
			i = 0
			for i < len(vmas) && vmas[i].End <= start {
				i++
			}
			continue
		}
		if start >= end {
			return unmapped
		}
		i++
	}
}

// Kill is kill(target's pid, SIGKILL): the signal is pending at once and
// wakes the target from an interruptible or killable sleep; the target
// dies at its next signal check. ESRCH if it has exited.
func (p *Process) Kill(target *Process) error {
	if p.dying() {
		return EINTR
	}
	if target == nil || target.exited {
		return ESRCH
	}
	p.m.MM.SendSigkill(target.Task)
	return nil
}

// CompactMemory is a write to /proc/sys/vm/compact_memory: compact every
// node, in the writer's context.
func (p *Process) CompactMemory() error {
	if p.dying() {
		return EINTR
	}
	p.m.MM.CompactMemory()
	return nil
}

// SetOOMScoreAdj is a write of adj to /proc/self/oom_score_adj
// (oom_score_adj_write in fs/proc/base.c): EINVAL outside -1000..1000;
// otherwise the process's oom_score_adj, which oom_badness adds in
// thousandths of memory (-1000, OOM_SCORE_ADJ_MIN: never killed). The
// process runs as root (CAP_SYS_RESOURCE), so it may lower the value.
func (p *Process) SetOOMScoreAdj(adj int64) error {
	if p.dying() {
		return EINTR
	}
	if adj < mm.OOM_SCORE_ADJ_MIN || adj > mm.OOM_SCORE_ADJ_MAX {
		return EINVAL
	}
	if err := p.m.MM.SetOOMScoreAdj(p.Task, int(adj)); err != nil {
		return ESRCH
	}
	return nil
}

// DropCaches is a write of mode to /proc/sys/vm/drop_caches
// (drop_caches_sysctl_handler): 1 drops clean, unmapped page-cache pages
// of every inode (drop_pagecache_sb with invalidate_mapping_pages), 2 the
// slab caches, 3 both; other values are EINVAL (extra1 = 1, extra2 = 3).
//
// Model: there are no slab caches to shrink, so 2 does nothing. Inodes are
// visited by path, so an unlinked file still held open keeps its cache,
// and tmpfs superblocks are skipped (v3.16 visits them, but their pages are
// dirty and their swap entries left alone, so nothing would go).
func (p *Process) DropCaches(mode int64) error {
	if p.dying() {
		return EINTR
	}
	if mode < 1 || mode > 3 {
		return EINVAL
	}
	if mode&1 != 0 {
		for _, path := range p.m.FS.Paths() {
			f, err := p.m.FS.Open(path, false)
			if err != nil {
				continue
			}
			if _, mem := f.Inode.SB().Type.(fs.MemType); !mem && f.Inode.Mapping.NrPages() > 0 {
				p.m.MM.InvalidateMappingPages(f.Inode.Mapping, 0, ^uint64(0))
			}
			p.m.FS.Close(f)
		}
	}
	return nil
}

// AllocPages is alloc_pages_node(nid, gfp, order) called by a driver in
// this process's context (an ioctl); nid < 0 is the current CPU's node.
// A failed allocation is ENOMEM.
//
// Model: v3.16 does not check nid (a bad node oopses); here a node that
// does not exist is EINVAL.
func (p *Process) AllocPages(nid int, gfp mm.GFP, order uint) (uint64, error) {
	if p.dying() {
		return 0, EINTR
	}
	if nid >= len(p.m.MM.Nodes()) {
		return 0, EINVAL
	}
	pfn, ok := p.m.MM.AllocPagesNode(nid, gfp, order)
	if !ok {
		return 0, ENOMEM
	}
	return pfn, nil
}

// FreePages is __free_pages(page, order) by a driver in this process's
// context.
func (p *Process) FreePages(pfn uint64, order uint) error {
	if p.dying() {
		return EINTR
	}
	p.m.MM.FreePages(pfn, order)
	return nil
}

// Sysctl is a write of value to /proc/sys/vm/NAME (name as "vm.NAME").
func (p *Process) Sysctl(name string, value int64) error {
	if p.dying() {
		return EINTR
	}
	return p.m.Sysctl(name, value)
}

// SysctlInfo describes one writable vm sysctl.
type SysctlInfo struct {
	Name     string
	Min, Max int64
	Doc      string
}

const intMax = 1<<31 - 1

var sysctls = []SysctlInfo{
	{"vm.dirty_background_bytes", 1, 1<<63 - 1, "background writeback threshold in bytes (clears dirty_background_ratio)"},
	{"vm.dirty_background_ratio", 0, 100, "background writeback threshold, percent of dirtyable memory (clears dirty_background_bytes)"},
	{"vm.dirty_bytes", 2 * mm.PAGE_SIZE, 1<<63 - 1, "dirty throttling threshold in bytes (clears dirty_ratio)"},
	{"vm.dirty_expire_centisecs", 0, intMax, "age at which dirty data is written back"},
	{"vm.dirty_ratio", 0, 100, "dirty throttling threshold, percent of dirtyable memory (clears dirty_bytes)"},
	{"vm.dirty_writeback_centisecs", 0, intMax, "flusher wakeup interval"},
	{"vm.laptop_mode", 0, intMax / mm.HZ, "laptop mode: seconds after disk I/O to write back everything (0: off)"},
	{"vm.min_free_kbytes", 0, intMax, "the min watermark, summed over zones"},
	{"vm.swappiness", 0, 100, "how readily reclaim swaps anonymous pages"},
}

// Sysctls lists the vm sysctls a program may write, sorted by name.
func Sysctls() []SysctlInfo { return append([]SysctlInfo(nil), sysctls...) }

// LookupSysctl finds a writable vm sysctl.
func LookupSysctl(name string) (SysctlInfo, bool) {
	for _, s := range sysctls {
		if s.Name == name {
			return s, true
		}
	}
	return SysctlInfo{}, false
}

// Sysctl writes a vm sysctl as its proc handler does: a value outside
// [Min, Max] is EINVAL (proc_dointvec_minmax, proc_doulongvec_minmax) and
// leaves the setting alone; dirty_ratio and dirty_bytes clear each other,
// as do the two background settings.
//
// Model: v3.16 accepts a negative vm.dirty_writeback_centisecs
// (proc_dointvec, no minimum) and vm.laptop_mode (proc_dointvec_jiffies);
// here they are EINVAL.
func (m *Machine) Sysctl(name string, value int64) error {
	info, ok := LookupSysctl(name)
	if !ok {
		return fmt.Errorf("unknown sysctl %q", name)
	}
	if value < info.Min || value > info.Max {
		return EINVAL
	}
	d := m.MM.Dirty()
	switch name {
	case "vm.dirty_background_bytes":
		d.DirtyBackgroundBytes = uint64(value)
		d.DirtyBackgroundRatio = 0
	case "vm.dirty_background_ratio":
		d.DirtyBackgroundRatio = int(value)
		d.DirtyBackgroundBytes = 0
	case "vm.dirty_bytes":
		old := d.DirtyBytes
		d.DirtyBytes = uint64(value)
		if d.DirtyBytes != old { // dirty_bytes_handler
			m.MM.WritebackSetRatelimit()
			d.DirtyRatio = 0
		}
	case "vm.dirty_ratio":
		old := d.DirtyRatio
		d.DirtyRatio = int(value)
		if d.DirtyRatio != old { // dirty_ratio_handler
			m.MM.WritebackSetRatelimit()
			d.DirtyBytes = 0
		}
	case "vm.laptop_mode":
		d.LaptopMode = int(value) * mm.HZ // proc_dointvec_jiffies
	case "vm.dirty_expire_centisecs":
		d.DirtyExpireCentisecs = int(value)
	case "vm.dirty_writeback_centisecs":
		d.DirtyWritebackCentisecs = int(value)
	case "vm.min_free_kbytes":
		return mapMMErr(m.MM.SetMinFreeKbytes(int(value)))
	case "vm.swappiness":
		return mapMMErr(m.MM.SetSwappiness(int(value)))
	}
	return nil
}
