# redirect_map is an XDP helper: a tc program cannot redirect into an XSKMAP
# type: sched_cls
# map: xsks_map xskmap key=4 value=4 entries=4
# expect: program of this type cannot use helper bpf_redirect_map#51
# kernel: reject
lddw %r1, map_fd 0
mov %r2, 0
mov %r3, 0
call 51
mov %r0, 0
exit
