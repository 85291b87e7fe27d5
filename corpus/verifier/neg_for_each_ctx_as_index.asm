# a bpf_for_each_map_elem callback written as a bpf_loop callback: it takes r1 (the map) for a number and adds it to the stack pointer it expects in r2 (the key)
# type: xdp
# map: arr array key=4 value=8 entries=4
# expect: R2 pointer += pointer prohibited
# kernel: reject
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
add %r2, %r1
mov %r0, 0
exit
