# a bloom filter's peek takes its value buffer as map_peek_elem's (ARG_PTR_TO_MAP_VALUE | MEM_UNINIT): uninitialised stack is accepted, as 6.18 does
# type: xdp
# map: b bloom_filter key=0 value=8 entries=16
# expect: accept
# kernel: accept
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -8
call 89
mov %r0, 2
exit
