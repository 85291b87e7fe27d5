# get_local_storage on an ARRAY map: it takes only the cgroup storages
# type: cgroup_skb
# map: arr array key=4 value=8 entries=1
# expect: cannot pass map_type 2 into func bpf_get_local_storage#81
# kernel: reject
lddw %r1, map_fd 0
mov %r2, 0
call 81
mov %r0, 1
exit
