# a program array is only for tail calls
# type: xdp
# map: jmp prog_array key=4 value=4 entries=4
# expect: cannot pass map_type 3 into func bpf_map_lookup_elem#1
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit
