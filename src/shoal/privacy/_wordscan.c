/* The three word patterns of the privacy scan, each as one pass over the text in C.
 *
 * On a 2,000-token prompt ``re`` spent about a millisecond stepping these patterns through the text,
 * character by character in its interpreter. Each function returns exactly what the pattern gives
 * (the tests compare both on varied and random Unicode text):
 *
 * - name_split(text): shoal.privacy.names._TOKEN_SPLIT.split(text), the words
 *   ``L(?:\.(?=\s)|L*(?:['’-]L+)*)`` with the gaps between them, where L is ``[^\W\d_]``;
 * - model_tokens(text, match): shoal.privacy.features._TOKEN.findall(text). Placeholders and template
 *   blanks start with "[", "<", "{" or "$": there ``match`` (that pattern's own ``match``) decides, so
 *   their alternatives stay in one place; the other alternatives are single classes, tried here;
 * - topic_words(lowered): shoal.privacy.topics._WORD.findall(lowered), ``[a-z0-9]+(?:['’][a-z]+)?``;
 * - occurrences(text, words): where any of a few words starts (see that function);
 * - term_starts(text, terms): where the topic lexicon's term pattern matches (see that function);
 * - digit_run_starts(text): where each run of digits starts (shoal.privacy.digit_gates.digit_runs);
 * - digit_word_run(text): whether a text has four digit words in a row (see that function).
 *
 * The classes are ``re``'s own definitions for str patterns: ``\w`` is Py_UNICODE_ISALNUM or "_",
 * ``\d`` Py_UNICODE_ISDECIMAL, ``\s`` Py_UNICODE_ISSPACE. The module is optional: without a C compiler
 * the patterns run in ``re``.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define RIGHT_QUOTE 0x2019

/* ``[^\W\d_]``: a word character that is neither a decimal digit nor "_". ASCII, most of any text,
 * is decided without the four Unicode table lookups of Py_UNICODE_ISALNUM. */
static inline int is_letter(Py_UCS4 c) {
    if (c < 128)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c);
}

static inline int is_space(Py_UCS4 c) {
    if (c < 128)
        return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
    return Py_UNICODE_ISSPACE(c);
}

static inline int is_decimal(Py_UCS4 c) {
    if (c < 128)
        return c >= '0' && c <= '9';
    return Py_UNICODE_ISDECIMAL(c);
}

/* The CJK ranges of shoal.privacy.features._CJK. */
static inline int is_cjk(Py_UCS4 c) {
    return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff)
           || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xac00 && c <= 0xd7af);
}

static inline int is_model_letter(Py_UCS4 c) { return is_letter(c) && !is_cjk(c); }

/* The single-character alternative ``[:@=/$€£%#{}\[\]<>|.!?。]`` less the four that ``match`` handles. */
static inline int is_model_mark(Py_UCS4 c) {
    switch (c) {
    case ':': case '@': case '=': case '/': case 0x20ac: case 0xa3: case '%': case '#': case '}': case ']':
    case '>': case '|': case '.': case '!': case '?': case 0x3002:
        return 1;
    default:
        return 0;
    }
}

static inline int is_lower_alnum(Py_UCS4 c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

static int append_slice(PyObject *out, PyObject *text, Py_ssize_t start, Py_ssize_t end) {
    PyObject *part = PyUnicode_Substring(text, start, end);
    if (part == NULL)
        return -1;
    int rc = PyList_Append(out, part);
    Py_DECREF(part);
    return rc;
}

/* Appends the position ``i`` to ``out``; -1 with an exception set when that fails. */
static int append_index(PyObject *out, Py_ssize_t i) {
    PyObject *at = PyLong_FromSsize_t(i);
    if (at == NULL)
        return -1;
    int rc = PyList_Append(out, at);
    Py_DECREF(at);
    return rc;
}

/* 0 when ``text`` is a str, else -1 with a TypeError set (the METH_O functions' argument check). */
static int check_str(PyObject *text) {
    if (PyUnicode_Check(text))
        return 0;
    PyErr_SetString(PyExc_TypeError, "text must be a str");
    return -1;
}

static PyObject *name_split(PyObject *self, PyObject *text) {
    if (check_str(text) < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    Py_ssize_t last = 0, p = 0;
    while (p < n) {
        if (!is_letter(PyUnicode_READ(kind, data, p))) {
            p++;
            continue;
        }
        Py_ssize_t q = p + 1;
        if (q + 1 < n && PyUnicode_READ(kind, data, q) == '.' && is_space(PyUnicode_READ(kind, data, q + 1))) {
            q += 1;  /* an initial: the letter and its dot */
        } else {
            for (;;) {
                while (q < n && is_letter(PyUnicode_READ(kind, data, q)))
                    q++;
                if (q + 1 < n) {
                    Py_UCS4 c = PyUnicode_READ(kind, data, q);
                    if ((c == '\'' || c == RIGHT_QUOTE || c == '-') && is_letter(PyUnicode_READ(kind, data, q + 1))) {
                        q += 2;
                        continue;
                    }
                }
                break;
            }
        }
        if (append_slice(out, text, last, p) < 0 || append_slice(out, text, p, q) < 0)
            goto fail;
        last = p = q;
    }
    if (append_slice(out, text, last, n) < 0)
        goto fail;
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyObject *model_tokens(PyObject *self, PyObject *args) {
    PyObject *text, *match;
    if (!PyArg_ParseTuple(args, "UO", &text, &match))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    Py_ssize_t p = 0;
    while (p < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, p);
        Py_ssize_t q = p + 1;
        if (c == '[' || c == '<' || c == '{' || c == '$') {
            /* What the whole pattern matches here: a placeholder, a template blank or the mark alone. */
            PyObject *m = PyObject_CallFunction(match, "On", text, p);
            if (m == NULL)
                goto fail;
            if (m == Py_None) {
                Py_DECREF(m);
                p = q;
                continue;
            }
            PyObject *end = PyObject_CallMethod(m, "end", NULL);
            PyObject *group = end == NULL ? NULL : PyObject_CallMethod(m, "group", NULL);
            Py_DECREF(m);
            if (group == NULL) {
                Py_XDECREF(end);
                goto fail;
            }
            Py_ssize_t e = PyLong_AsSsize_t(end);
            Py_DECREF(end);
            int rc = (e == -1 && PyErr_Occurred()) ? -1 : PyList_Append(out, group);
            Py_DECREF(group);
            if (rc < 0)
                goto fail;
            p = e > p ? e : p + 1;
            continue;
        }
        if (is_cjk(c)) {
            /* one character */
        } else if (is_model_letter(c)) {
            while (q < n && is_model_letter(PyUnicode_READ(kind, data, q)))
                q++;
            if (q + 1 < n) {
                Py_UCS4 d = PyUnicode_READ(kind, data, q);
                if ((d == '\'' || d == RIGHT_QUOTE) && is_model_letter(PyUnicode_READ(kind, data, q + 1))) {
                    q += 2;
                    while (q < n && is_model_letter(PyUnicode_READ(kind, data, q)))
                        q++;
                }
            }
        } else if (is_decimal(c)) {
            while (q < n && is_decimal(PyUnicode_READ(kind, data, q)))
                q++;
        } else if (!(c == '\n' || is_model_mark(c))) {
            p = q;
            continue;
        }
        if (append_slice(out, text, p, q) < 0)
            goto fail;
        p = q;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyObject *topic_words(PyObject *self, PyObject *text) {
    if (check_str(text) < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    Py_ssize_t p = 0;
    while (p < n) {
        if (!is_lower_alnum(PyUnicode_READ(kind, data, p))) {
            p++;
            continue;
        }
        Py_ssize_t q = p + 1;
        while (q < n && is_lower_alnum(PyUnicode_READ(kind, data, q)))
            q++;
        if (q + 1 < n) {
            Py_UCS4 d = PyUnicode_READ(kind, data, q), e = PyUnicode_READ(kind, data, q + 1);
            if ((d == '\'' || d == RIGHT_QUOTE) && e >= 'a' && e <= 'z') {
                q += 2;
                while (q < n) {
                    Py_UCS4 f = PyUnicode_READ(kind, data, q);
                    if (f < 'a' || f > 'z')
                        break;
                    q++;
                }
            }
        }
        if (append_slice(out, text, p, q) < 0) {
            Py_DECREF(out);
            return NULL;
        }
        p = q;
    }
    return out;
}

/* occurrences(text, words): every position where one of ``words`` (1 to 64 non-empty strings) starts in
 * ``text``, overlapping ones too, ascending, each once: shoal.privacy.digit_gates.occurrences in one pass.
 * ``str.find`` scans the whole text once per word (a few microseconds each on a long prompt, and the
 * credential gates look for some forty words); here a position is let through by its first two
 * characters' low bytes (a bit per word in two tables), and only those are compared in full. */
static PyObject *occurrences(PyObject *self, PyObject *args) {
    PyObject *text, *words;
    if (!PyArg_ParseTuple(args, "UO!", &text, &PyTuple_Type, &words))
        return NULL;
    Py_ssize_t n_words = PyTuple_GET_SIZE(words);
    if (n_words < 1 || n_words > 64) {
        PyErr_SetString(PyExc_ValueError, "occurrences takes 1 to 64 words");
        return NULL;
    }
    uint64_t first[256] = {0}, second[256] = {0}, single = 0;
    for (Py_ssize_t w = 0; w < n_words; w++) {
        PyObject *word = PyTuple_GET_ITEM(words, w);
        if (!PyUnicode_Check(word) || PyUnicode_GET_LENGTH(word) == 0) {
            PyErr_SetString(PyExc_ValueError, "words must be non-empty strings");
            return NULL;
        }
        uint64_t bit = (uint64_t)1 << w;
        first[PyUnicode_READ_CHAR(word, 0) & 0xff] |= bit;
        if (PyUnicode_GET_LENGTH(word) == 1) {
            single |= bit;
            for (int b = 0; b < 256; b++)
                second[b] |= bit;
        } else {
            second[PyUnicode_READ_CHAR(word, 1) & 0xff] |= bit;
        }
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t candidates = first[PyUnicode_READ(kind, data, i) & 0xff];
        if (candidates == 0)
            continue;
        candidates &= i + 1 < n ? second[PyUnicode_READ(kind, data, i + 1) & 0xff] : single;
        while (candidates) {
            int w = __builtin_ctzll(candidates);
            candidates &= candidates - 1;
            PyObject *word = PyTuple_GET_ITEM(words, w);
            Py_ssize_t len = PyUnicode_GET_LENGTH(word);
            if (len > n - i)
                continue;
            int wkind = PyUnicode_KIND(word);
            const void *wdata = PyUnicode_DATA(word);
            Py_ssize_t k = 0;
            while (k < len && PyUnicode_READ(kind, data, i + k) == PyUnicode_READ(wkind, wdata, k))
                k++;
            if (k == len) {
                if (append_index(out, i) < 0) {
                    Py_DECREF(out);
                    return NULL;
                }
                break;  /* the position is listed once, whichever words start there */
            }
        }
    }
    return out;
}

/* ``\w`` of a str pattern: Py_UNICODE_ISALNUM or "_". */
static inline int is_word(Py_UCS4 c) {
    if (c < 128)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    return Py_UNICODE_ISALNUM(c);
}

/* term_starts(text, terms): the positions where ``\b(?=term_1|term_2|...)`` matches in ``text`` (the
 * pattern of shoal.privacy.topics._term_pattern, its terms as a trie), ascending. ``re`` tried the
 * trie at every position of the text; here only where ``\b`` holds (re's own test), and there only the
 * terms whose first two characters fall in the same bucket as the text's (lists built per call; a
 * one-character term by its character alone), each compared in full. */
#define PAIR_BUCKETS 4096

static inline int pair_bucket(Py_UCS4 a, Py_UCS4 b) { return (int)(((a & 0x3f) << 6) | (b & 0x3f)); }

static PyObject *term_starts(PyObject *self, PyObject *args) {
    PyObject *text, *terms;
    if (!PyArg_ParseTuple(args, "UO!", &text, &PyTuple_Type, &terms))
        return NULL;
    Py_ssize_t n_terms = PyTuple_GET_SIZE(terms);
    /* pairs[0..PAIR_BUCKETS): heads by a term's first two characters; singles[0..256): heads of the
     * one-character terms by their character's low byte; next[t]: the next term in t's list. */
    Py_ssize_t *pairs = PyMem_Malloc((PAIR_BUCKETS + 256 + (size_t)n_terms) * sizeof(Py_ssize_t));
    if (pairs == NULL)
        return PyErr_NoMemory();
    Py_ssize_t *singles = pairs + PAIR_BUCKETS, *next = singles + 256;
    for (int b = 0; b < PAIR_BUCKETS + 256; b++)
        pairs[b] = -1;
    for (Py_ssize_t t = n_terms - 1; t >= 0; t--) {
        PyObject *term = PyTuple_GET_ITEM(terms, t);
        if (!PyUnicode_Check(term) || PyUnicode_GET_LENGTH(term) == 0) {
            PyMem_Free(pairs);
            PyErr_SetString(PyExc_ValueError, "terms must be non-empty strings");
            return NULL;
        }
        Py_ssize_t *head = PyUnicode_GET_LENGTH(term) == 1
            ? &singles[PyUnicode_READ_CHAR(term, 0) & 0xff]
            : &pairs[pair_bucket(PyUnicode_READ_CHAR(term, 0), PyUnicode_READ_CHAR(term, 1))];
        next[t] = *head;
        *head = t;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        PyMem_Free(pairs);
        return NULL;
    }
    int prev_word = 0;  /* \w right before the position; none before the text's start */
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        int this_word = is_word(c);
        int boundary = this_word != prev_word;
        prev_word = this_word;
        if (!boundary)
            continue;
        int found = 0;
        for (int list = 0; list < 2 && !found; list++) {
            Py_ssize_t t = list == 0 ? singles[c & 0xff]
                : (i + 1 < n ? pairs[pair_bucket(c, PyUnicode_READ(kind, data, i + 1))] : -1);
            for (; t >= 0 && !found; t = next[t]) {
                PyObject *term = PyTuple_GET_ITEM(terms, t);
                Py_ssize_t len = PyUnicode_GET_LENGTH(term);
                if (len > n - i)
                    continue;
                int tkind = PyUnicode_KIND(term);
                const void *tdata = PyUnicode_DATA(term);
                Py_ssize_t k = 0;
                while (k < len && PyUnicode_READ(kind, data, i + k) == PyUnicode_READ(tkind, tdata, k))
                    k++;
                found = k == len;
            }
        }
        if (found && append_index(out, i) < 0) {
            Py_DECREF(out);
            PyMem_Free(pairs);
            return NULL;
        }
    }
    PyMem_Free(pairs);
    return out;
}

/* digit_run_starts(text): the starts of ``\d+``'s matches in ``text`` (``\d`` is Py_UNICODE_ISDECIMAL),
 * as a tuple: shoal.privacy.digit_gates.digit_runs without a match object per run. */
static PyObject *digit_run_starts(PyObject *self, PyObject *text) {
    if (check_str(text) < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    int prev_digit = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int digit = is_decimal(PyUnicode_READ(kind, data, i));
        if (digit && !prev_digit && append_index(out, i) < 0) {
            Py_DECREF(out);
            return NULL;
        }
        prev_digit = digit;
    }
    PyObject *starts = PyList_AsTuple(out);
    Py_DECREF(out);
    return starts;
}

/* digit_word_run(text): shoal.privacy.normalize._has_run: whether four digit tokens ("0".."9",
 * "zero".."nine", "oh") follow each other among the words of ``text`` (lower-cased, split at whitespace
 * and at ``,-.;:!?()``), "dash" and "hyphen" between them neither counting nor breaking the run. The
 * Python version lower-cases, replaces and splits the whole text first. A word with a non-ASCII
 * character is none of those words: ``str.lower`` turns only "İ" (into "i" and a combining dot) and
 * the Kelvin sign (into "k", in no digit word) into ASCII, and nothing into a separator. */
static int digit_word_kind(const char *w, Py_ssize_t len) {
    static const char *const tokens[] = {"zero", "oh", "one", "two", "three", "four", "five", "six", "seven",
                                         "eight", "nine"};
    if (len == 1)
        return w[0] >= '0' && w[0] <= '9' ? 1 : 0;
    for (size_t t = 0; t < sizeof tokens / sizeof *tokens; t++)
        if ((Py_ssize_t)strlen(tokens[t]) == len && memcmp(tokens[t], w, (size_t)len) == 0)
            return 1;
    if ((len == 4 && memcmp(w, "dash", 4) == 0) || (len == 6 && memcmp(w, "hyphen", 6) == 0))
        return 2;
    return 0;
}

static inline int run_separator(Py_UCS4 c) {
    return is_space(c) || c == ',' || c == '-' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?'
           || c == '(' || c == ')';
}

static PyObject *digit_word_run(PyObject *self, PyObject *text) {
    if (check_str(text) < 0)
        return NULL;
    int ukind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int run = 0;
    Py_ssize_t i = 0;
    while (i < n) {
        if (run_separator(PyUnicode_READ(ukind, data, i))) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        int ascii = 1;
        Py_UCS4 c;
        while (i < n && !run_separator(c = PyUnicode_READ(ukind, data, i))) {
            ascii &= c < 128;
            i++;
        }
        Py_ssize_t len = i - start;
        int kind = 0;
        if (ascii && len <= 6) {
            char word[6];
            for (Py_ssize_t k = 0; k < len; k++) {
                Py_UCS4 d = PyUnicode_READ(ukind, data, start + k);
                word[k] = (char)(d >= 'A' && d <= 'Z' ? d + ('a' - 'A') : d);
            }
            kind = digit_word_kind(word, len);
        }
        if (kind == 1) {
            if (++run >= 4)
                Py_RETURN_TRUE;
        } else if (kind == 0) {
            run = 0;
        }
    }
    Py_RETURN_FALSE;
}

static PyMethodDef methods[] = {
    {"name_split", name_split, METH_O, "name_split(text) -> shoal.privacy.names._TOKEN_SPLIT.split(text)."},
    {"model_tokens", model_tokens, METH_VARARGS,
     "model_tokens(text, match) -> shoal.privacy.features._TOKEN.findall(text), given that pattern's match."},
    {"topic_words", topic_words, METH_O, "topic_words(lowered) -> shoal.privacy.topics._WORD.findall(lowered)."},
    {"digit_word_run", digit_word_run, METH_O,
     "digit_word_run(text) -> shoal.privacy.normalize._has_run(text)."},
    {"digit_run_starts", digit_run_starts, METH_O,
     "digit_run_starts(text) -> tuple(m.start() for m in re.finditer(r'\\d+', text))."},
    {"term_starts", term_starts, METH_VARARGS,
     "term_starts(text, terms) -> the starts of shoal.privacy.topics._term_pattern of those terms."},
    {"occurrences", occurrences, METH_VARARGS,
     "occurrences(text, words) -> shoal.privacy.digit_gates.occurrences(text, words), 1 to 64 non-empty words."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_wordscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__wordscan(void) { return PyModule_Create(&module); }
