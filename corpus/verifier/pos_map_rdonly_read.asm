# loads from a BPF_F_RDONLY_PROG map: through a looked-up value and a direct value pointer
# type: xdp
# map: config array key=4 value=16 entries=1 readonly
# expect: accept
# kernel: accept
lddw %r6, map_value 0, 8
ldxdw %r7, [%r6+0]
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxw %r0, [%r0+12]
out:
mov %r0, 2
exit
