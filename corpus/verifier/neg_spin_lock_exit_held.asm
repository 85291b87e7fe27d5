# exit on one path with the lock held
# type: xdp
# map: locks array key=4 value=8 entries=1 lock=4
# expect: BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region
# kernel: reject
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
ldxw %r0, [%r6+0]
jne %r0, 0, +3
mov %r1, %r6
add %r1, 4
call 94
mov %r0, 0
exit
