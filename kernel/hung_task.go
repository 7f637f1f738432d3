// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"pagesim/klog"
	"pagesim/sim"
)

// HungTaskTimeoutNS is sysctl_hung_task_timeout_secs (120 s, the default of
// CONFIG_DEFAULT_HUNG_TASK_TIMEOUT), in virtual time.
const HungTaskTimeoutNS = 120e9

// startKhungtaskd is khungtaskd (kernel/hung_task.c): every timeout it
// looks for tasks that are in TASK_UNINTERRUPTIBLE and have not been
// switched out since its last look, i.e. have been stuck for between one
// and two timeouts, and reports each.
//
// Model: pagesim boots with hung_task_panic=1, so the first hung task
// ends the run with "Kernel panic - not syncing: hung_task: blocked
// tasks": a task blocked forever (a lost wake-up, a lock never released)
// would otherwise keep a run going forever while the vmstat timers tick.
// Kernel threads are not checked, as the model's daemons wait for work
// in an uninterruptible wait where the kernel's sleep interruptibly.
// sched_show_task's stack of the hung task is not printed (the model has
// no stack of a task that is not running).
func (m *Machine) startKhungtaskd() {
	lastSwitches := map[*sim.Task]uint64{}
	var check func()
	check = func() {
		for _, t := range m.Sched.Tasks() {
			if t.Daemon() || !t.Uninterruptible() {
				continue
			}
			n := t.Switches()
			if n == 0 || n != lastSwitches[t] {
				lastSwitches[t] = n
				continue
			}
			m.reportHungTask(t)
		}
		m.Sched.After(HungTaskTimeoutNS, check)
	}
	m.Sched.After(HungTaskTimeoutNS, check)
}

// reportHungTask is check_hung_task's report, then the panic that
// hung_task_panic asks for.
func (m *Machine) reportHungTask(t *sim.Task) {
	l := m.Log
	l.Printk(klog.KernErr, "INFO: task %s:%d blocked for more than %d seconds.\n", t.Comm, t.PID, int64(HungTaskTimeoutNS/1e9))
	l.Printk(klog.KernErr, "      %s %s #1\n", l.PrintTainted(), m.Kernel.Release())
	l.Printk(klog.KernErr, "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n")
	l.Printk(klog.KernInfo, "%-15.15s D %016x     0 %5d      1 0x00000000\n", t.Comm, 0, t.PID)
	l.Panic("hung_task: blocked tasks")
}
