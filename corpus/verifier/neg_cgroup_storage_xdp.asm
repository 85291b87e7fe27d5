# get_local_storage in an XDP program: only the cgroup types have a cgroup storage
# type: xdp
# map: a cgroup_storage key=16 value=8 entries=0
# expect: program of this type cannot use helper bpf_get_local_storage#81
# kernel: reject
lddw %r1, map_fd 0
mov %r2, 0
call 81
mov %r0, 2
exit
