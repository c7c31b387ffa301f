savedcmd_/work/main/build/6.12.117+deb12-amd64/modules.order := {   echo /work/main/build/6.12.117+deb12-amd64/splitstack.o; :; } > /work/main/build/6.12.117+deb12-amd64/modules.order
