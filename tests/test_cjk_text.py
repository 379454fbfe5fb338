from fiscaldocs.extractors.cjk import clean_line, join_lines, join_wrapped


def test_spaces_between_cjk_and_numbers_are_layout():
    assert clean_line("2023 年度 益阳市 医疗保障局") == "2023年度益阳市医疗保障局"
    assert clean_line("基本支出 1377.2 万元，占 79.92%") == "基本支出1377.2万元，占79.92%"
    assert clean_line("医 疗 保 障") == "医疗保障"


def test_spaces_between_latin_words_stay():
    assert clean_line("按病种分值付费 (DIP) and  DRG   reform") == "按病种分值付费(DIP) and DRG reform"


def test_number_split_from_unit_by_a_line_break():
    assert join_lines(["医保信息系统维护", "12.00", "万元，主要用于"]) == "医保信息系统维护12.00万元，主要用于"
    assert join_wrapped("1,234.", "56万元") == "1,234.56万元"


def test_latin_words_wrapped_keep_one_space():
    assert join_lines(["MinerU supports", "DOCX parsing"]) == "MinerU supports DOCX parsing"
