/work/main/build/6.1.0-56-amd64/main.o
/work/main/build/6.1.0-56-amd64/netlink.o
/work/main/build/6.1.0-56-amd64/peer.o
/work/main/build/6.1.0-56-amd64/halfpipe.o
/work/main/build/6.1.0-56-amd64/device.o
