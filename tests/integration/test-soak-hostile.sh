# Every hostile input at once against one airsupd, 20 s (soak-hostile.sh;
# `make soak` runs it for 300 s).
exec bash "$(dirname "$0")/soak-hostile.sh" 20
