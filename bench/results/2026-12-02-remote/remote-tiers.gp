set terminal svg size 900,480 dynamic font "sans,11" noenhanced
set output "remote-tiers.svg"
set title "Warm build served by each tier (lower is better, log scale)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "seconds (all projects)"
set yrange [0.1:485.992]
set grid ytics
set key top left
plot "remote-tiers.dat" using 2:xtic(1) title "zcwrap", \
     "" using 3 title "ccache", \
     60.749 with lines lw 2 dt 2 title "plain compiler"
