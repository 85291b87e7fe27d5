# get_netns_cookie with the context moved: the helper must get the context itself
# type: socket_filter
# expect: dereference of modified ctx ptr R1 off=8 disallowed
# kernel: reject
add %r1, 8
call 122
mov %r0, 0
exit
