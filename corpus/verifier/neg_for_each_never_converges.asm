# a bpf_for_each_map_elem callback counts its calls in the caller's stack and stops at 3: the count decides r0, so each iteration's state differs from the last and the verifier (which does not know the map's size) explores iterations until its complexity limit
# type: xdp
# map: arr array key=4 value=8 entries=4
# expect: BPF program is too large. Processed 1000001 insn
# kernel: reject
# slow: about 5 s here, 13 s in the kernel
stdw [%r10-8], 0
lddw %r1, map_fd 0
lddw %r2, func step
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 164
mov %r0, 0
exit
step:
ldxdw %r0, [%r4+0]
add %r0, 1
stxdw [%r4+0], %r0
jge %r0, 3, +2
mov %r0, 0
exit
mov %r0, 1
exit
