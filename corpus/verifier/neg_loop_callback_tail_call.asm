# a bpf_loop callback makes a tail call: when it is taken, the callback returns whatever the
# target returns, not 0 or 1
# type: xdp
# map: jt prog_array key=4 value=4 entries=4
# expect: At callback return the register R0 has unknown scalar value should have been in [0, 1]
# kernel: reject (6.18 stops with EFAULT, "verifier bug: callback unexpected regs")
# kernel-says: (EFAULT)
mov %r6, %r1
stdw [%r10-8], 0
stxdw [%r10-8], %r6
mov %r3, %r10
add %r3, -8
mov %r1, 2
lddw %r2, func cb
mov %r4, 0
call 181
mov %r0, 2
exit
cb:
ldxdw %r1, [%r2+0]
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 0
exit
