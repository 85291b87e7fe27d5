# LD_ABS inside the locked region
# type: sched_cls
# map: locks array key=4 value=8 entries=1 lock=4
# expect: BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region
# kernel: reject
mov %r9, %r1
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jne %r0, 0, +2
mov %r0, 0
exit
mov %r6, %r0
mov %r1, %r6
add %r1, 4
call 93
mov %r6, %r9
ldabsb 0
mov %r6, %r0
mov %r1, %r6
add %r1, 4
call 94
mov %r0, 0
exit
