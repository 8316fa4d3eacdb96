"""DfE three-digit local authority codes, as they appear inside UPNs.

Includes codes of authorities that have since been reorganised (a child keeps the UPN allocated
years ago, e.g. by Cumbria 909 or Northamptonshire 928) and the Welsh authorities (660-681),
whose schools allocate UPNs in the same format. An LA registered in the portal is accepted too
(see identifiers.validate_upn).
"""

ENGLAND = {
    # Inner London
    *range(201, 214),
    # Outer London
    *range(301, 321),
    # Metropolitan districts
    *range(330, 337), *range(340, 345), *range(350, 360), *range(370, 374),
    *range(380, 385), *range(390, 395),
    420,  # Isles of Scilly
    # Unitary and shire authorities
    800, 801, 802, 803, 805, 806, 807, 808, 810, 811, 812, 813, 815, 816, 821, 822, 823, 825, 826,
    830, 831, 835, 836, 837, 838, 839, 840, 841, 845, 846, 850, 851, 852, 855, 856, 857, 860, 861,
    865, 866, 867, 868, 869, 870, 871, 872, 873, 874, 876, 877, 878, 879, 880, 881, 882, 883, 884,
    885, 886, 887, 888, 889, 890, 891, 892, 893, 894, 895, 896,
    908, 909, 916, 919, 921, 925, 926, 928, 929, 931, 933, 935, 936, 937, 938, 940, 941, 942, 943,
}
WALES = set(range(660, 682))

LA_CODES = frozenset(f"{code:03d}" for code in ENGLAND | WALES)
