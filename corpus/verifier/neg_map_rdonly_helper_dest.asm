# skb_load_bytes writing into a BPF_F_RDONLY_PROG map value (check_helper_mem_access)
# type: sched_cls
# map: config array key=4 value=16 entries=1 readonly
# expect: write into map forbidden, value_size=16 off=8 size=4
# kernel: reject
lddw %r3, map_value 0, 8
mov %r2, 0
mov %r4, 4
call 26
mov %r0, 0
exit
