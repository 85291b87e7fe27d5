# skb_under_cgroup is for skb programs with a full socket (tc, lwt): not XDP
# type: xdp
# map: cgroups cgroup_array key=4 value=4 entries=4
# expect: cannot use helper bpf_skb_under_cgroup#33
# kernel: reject
mov %r3, 0
lddw %r2, map_fd 0
call 33
mov %r0, 2
exit
