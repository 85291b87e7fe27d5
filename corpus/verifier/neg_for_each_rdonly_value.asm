# a bpf_for_each_map_elem callback writes the value of a map the program may only read (BPF_F_RDONLY_PROG)
# type: xdp
# map: arr array key=4 value=8 entries=4 readonly
# expect: write into map forbidden
# kernel: reject
lddw %r1, map_fd 0
lddw %r2, func step
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
step:
stdw [%r3+0], 1
mov %r0, 0
exit
