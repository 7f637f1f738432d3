// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"fmt"
	"sort"

	"pagesim/mm"
	"pagesim/sim"
)

// Built-in examples: a machine, a workload and the /proc files worth
// looking at afterwards. A workload is Go code: some stand for a driver
// calling the page allocator directly, as alloc_pages/__free_pages users
// do. The examples written in the program language, among them the
// founding case (seed-writeback), are in package examples.

// Example is one built-in example.
type Example struct {
	Name        string
	Description string
	Config      Config
	Proc        []string
	// Workload spawns the example's tasks on a booted machine.
	Workload func(m *Machine)
	// IdleNS, when set, keeps the machine running this long (virtual
	// time) so that background work (the flusher) happens.
	IdleNS int64
}

var examples = []Example{
	{
		Name:        "boot",
		Description: "boot a 1 GiB, 2-CPU machine and show how memory is laid out: zones, watermarks, free lists",
		Config:      DefaultConfig(),
		Proc:        []string{"/proc/meminfo", "/proc/buddyinfo", "/proc/zoneinfo"},
	},
	{
		Name: "fragment",
		Description: "a driver on a 256 MiB machine takes unmovable order-0 and order-3 pages, then frees " +
			"every other one: unmovable allocations steal from movable pageblocks and leave free memory scattered",
		Config:   Config{MemBytes: 256 << 20, Nodes: 1, CPUs: 2, Kernel: DefaultKernel, Seed: 1, Policy: sim.RoundRobin},
		Proc:     []string{"/proc/buddyinfo", "/proc/pagetypeinfo", "/proc/vmstat"},
		Workload: fragmentWorkload,
	},
	{
		Name: "fork-cow",
		Description: "a process writes 4 MiB of anonymous memory and forks; parent and child write half each: " +
			"copy-on-write gives each writer its own pages, and every read is checked against what was written",
		Config:   Config{MemBytes: 128 << 20, Nodes: 1, CPUs: 2, Kernel: DefaultKernel, Seed: 1, Policy: sim.RoundRobin},
		Proc:     []string{"/proc/meminfo", "/proc/vmstat"},
		Workload: forkCOWWorkload,
	},
	{
		Name: "writeback",
		Description: "two processes write files on ext4 and xfs (delayed allocation: dirty pages, no blocks yet); " +
			"one fsyncs, the other's data waits for the flusher's 30 s expiry; the machine idles 40 s",
		Config: Config{MemBytes: 256 << 20, Nodes: 1, CPUs: 2, Kernel: DefaultKernel, Seed: 1, Policy: sim.RoundRobin,
			Mounts: []MountSpec{{Type: "ext4", Path: "/mnt/ext4", SizeBytes: 1 << 30}, {Type: "xfs", Path: "/mnt/xfs", SizeBytes: 1 << 30}}},
		Proc:     []string{"/proc/meminfo", "/proc/vmstat"},
		Workload: writebackWorkload,
		IdleNS:   40e9,
	},
	{
		Name: "double-free",
		Description: "a buggy driver frees the same page twice; with CONFIG_DEBUG_VM the second " +
			"put_page_testzero() hits VM_BUG_ON_PAGE and the kernel oopses",
		Config:   Config{MemBytes: 128 << 20, Nodes: 1, CPUs: 1, Kernel: DefaultKernel, Seed: 1, Policy: sim.RoundRobin},
		Workload: doubleFreeWorkload,
	},
}

// Examples lists the built-in examples by name.
func Examples() []Example {
	out := append([]Example(nil), examples...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupExample finds an example by name.
func LookupExample(name string) (*Example, error) {
	for i := range examples {
		if examples[i].Name == name {
			e := examples[i]
			return &e, nil
		}
	}
	var names []string
	for _, e := range Examples() {
		names = append(names, e.Name)
	}
	return nil, fmt.Errorf("unknown example %q (known: %v)", name, names)
}

// fragmentWorkload: two driver threads on two CPUs interleave order-0 and
// order-3 GFP_KERNEL allocations, then free every other block.
func fragmentWorkload(m *Machine) {
	for i := 0; i < 2; i++ {
		m.Sched.Spawn(fmt.Sprintf("frag/%d", i), 0, func(t *sim.Task) {
			type block struct {
				pfn   uint64
				order uint
			}
			var held []block
			for n := 0; n < 4000; n++ {
				order := uint(0)
				if n%4 == 3 {
					order = 3
				}
				pfn, ok := m.MM.AllocPages(mm.GFP_KERNEL, order)
				if !ok {
					break
				}
				held = append(held, block{pfn, order})
				if n%64 == 0 {
					t.Yield()
				}
			}
			for j := 0; j < len(held); j += 2 {
				m.MM.FreePages(held[j].pfn, held[j].order)
			}
		})
	}
}

// doubleFreeWorkload frees one page twice.
func doubleFreeWorkload(m *Machine) {
	m.Sched.Spawn("buggy-driver", 0, func(t *sim.Task) {
		pfn, ok := m.MM.AllocPages(mm.GFP_KERNEL, 0)
		if !ok {
			return
		}
		m.MM.FreePages(pfn, 0)
		t.Yield()
		m.MM.FreePages(pfn, 0)
	})
}

// forkCOWWorkload: write, fork, both write half, both read all.
func forkCOWWorkload(m *Machine) {
	m.Spawn("cow-parent", func(p *Process) {
		const size = 4 << 20
		addr, err := p.Mmap(size, true)
		if err != nil {
			return
		}
		p.Touch(addr, size, 0, true, 1)
		p.Fork("cow-child", func(c *Process) {
			c.Touch(addr, size/2, 0, true, 2)
			c.Touch(addr, size, 0, false, 0)
		})
		p.Touch(addr+size/2, size/2, 0, true, 3)
		p.Touch(addr, size, 0, false, 0)
	})
}

// writebackWorkload: one writer fsyncs, the other leaves it to the flusher.
func writebackWorkload(m *Machine) {
	for i, dir := range []string{"/mnt/ext4", "/mnt/xfs"} {
		i, dir := i, dir
		m.Spawn(fmt.Sprintf("writer/%d", i), func(p *Process) {
			fd, err := p.Open(dir+"/data", true)
			if err != nil {
				return
			}
			p.Pwrite(fd, 0, 8<<20, uint64(10+i))
			if i == 0 {
				p.Fsync(fd, false)
			}
			p.Pread(fd, 0, 8<<20)
		})
	}
}
