/* The per-token loop of shoal.privacy.features.Featurizer.encode, compiled.
 *
 * window_features(lows, words, shaped, window, mask) -> (ids, starts) returns exactly what
 * shoal.privacy.features._window_features_py returns (the tests compare both on varied texts):
 * the n-gram ids that start at each token (word bigrams, shape bigrams and trigrams, each a CRC-32
 * continued from the cached state of the token before), and the feature ids of each token with
 * every word and n-gram counted at most once per `window` tokens. The module is optional: without
 * a C compiler the package installs without it and the same loop runs in Python, several times
 * slower (it was a third of a 2,000-token scan's model time).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc_table[256];

static void make_crc_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

/* zlib.crc32(data, state): the CRC-32 of (what gave `state`) + data. */
static uint32_t crc32_continue(uint32_t state, const unsigned char *buf, Py_ssize_t len) {
    uint32_t c = state ^ 0xFFFFFFFFu;
    while (len-- > 0)
        c = crc_table[(c ^ *buf++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* Last position of each n-gram id: open addressing, keys stored + 1 so that 0 marks a free slot. */
typedef struct {
    uint64_t *keys;
    Py_ssize_t *last;
    size_t mask;
} IdMap;

static int idmap_init(IdMap *m, Py_ssize_t expected) {
    size_t cap = 16;
    while (cap < (size_t)expected * 2 + 1)
        cap <<= 1;
    m->keys = calloc(cap, sizeof(uint64_t));
    m->last = malloc(cap * sizeof(Py_ssize_t));
    m->mask = cap - 1;
    return m->keys != NULL && m->last != NULL;
}

static void idmap_free(IdMap *m) {
    free(m->keys);
    free(m->last);
}

/* The slot of `id` (found, or the free one where it goes). */
static size_t idmap_slot(const IdMap *m, uint32_t id) {
    uint64_t key = (uint64_t)id + 1;
    size_t i = ((size_t)id * 2654435761u) & m->mask;
    while (m->keys[i] != 0 && m->keys[i] != key)
        i = (i + 1) & m->mask;
    return i;
}

typedef struct {
    const unsigned char *raw;
    Py_ssize_t raw_len;
    const unsigned char *raw_space;  /* shapes only: the bytes and a space */
    Py_ssize_t raw_space_len;
    uint32_t state;
} Entry;

static int read_entry(PyObject *tuple, int is_shape, Entry *out) {
    if (!PyTuple_Check(tuple) || PyTuple_GET_SIZE(tuple) != 3) {
        PyErr_SetString(PyExc_TypeError, "a word or shape entry is a 3-tuple");
        return 0;
    }
    PyObject *raw = PyTuple_GET_ITEM(tuple, is_shape ? 0 : 1);
    PyObject *state = PyTuple_GET_ITEM(tuple, 2);
    if (!PyBytes_Check(raw) || !PyLong_Check(state)) {
        PyErr_SetString(PyExc_TypeError, "an entry holds bytes and an int state");
        return 0;
    }
    out->raw = (const unsigned char *)PyBytes_AS_STRING(raw);
    out->raw_len = PyBytes_GET_SIZE(raw);
    out->raw_space = NULL;
    out->raw_space_len = 0;
    if (is_shape) {
        PyObject *sp = PyTuple_GET_ITEM(tuple, 1);
        if (!PyBytes_Check(sp)) {
            PyErr_SetString(PyExc_TypeError, "a shape entry holds its bytes and a space");
            return 0;
        }
        out->raw_space = (const unsigned char *)PyBytes_AS_STRING(sp);
        out->raw_space_len = PyBytes_GET_SIZE(sp);
    }
    unsigned long s = PyLong_AsUnsignedLong(state);
    if (s == (unsigned long)-1 && PyErr_Occurred())
        return 0;
    out->state = (uint32_t)s;
    return 1;
}

/* Keep gram `id` at token `i` when it was not kept in the last `window` tokens; 1 kept, 0 not, -1 error. */
static int keep_gram(IdMap *m, uint32_t id, Py_ssize_t i, Py_ssize_t window, PyObject *ids) {
    size_t slot = idmap_slot(m, id);
    if (m->keys[slot] != 0 && i - m->last[slot] < window)
        return 0;
    m->keys[slot] = (uint64_t)id + 1;
    m->last[slot] = i;
    PyObject *v = PyLong_FromUnsignedLong(id);
    if (v == NULL)
        return -1;
    int rc = PyList_Append(ids, v);
    Py_DECREF(v);
    return rc < 0 ? -1 : 1;
}

static PyObject *window_features(PyObject *self, PyObject *args) {
    PyObject *lows, *words, *shaped, *ids = NULL, *starts = NULL, *recent = NULL, *newline = NULL;
    Py_ssize_t window;
    unsigned long mask_arg;
    if (!PyArg_ParseTuple(args, "O!O!O!nk", &PyList_Type, &lows, &PyList_Type, &words, &PyList_Type, &shaped,
                          &window, &mask_arg))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(lows);
    if (PyList_GET_SIZE(words) != n || PyList_GET_SIZE(shaped) != n) {
        PyErr_SetString(PyExc_ValueError, "lows, words and shaped differ in length");
        return NULL;
    }
    uint32_t mask = (uint32_t)mask_arg;
    Entry *w = NULL, *s = NULL;
    IdMap grams = {NULL, NULL, 0};
    PyObject *result = NULL;
    w = malloc(sizeof(Entry) * (size_t)(n > 0 ? n : 1));
    s = malloc(sizeof(Entry) * (size_t)(n > 0 ? n : 1));
    if (w == NULL || s == NULL || !idmap_init(&grams, 3 * n)) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!read_entry(PyList_GET_ITEM(words, i), 0, &w[i]) || !read_entry(PyList_GET_ITEM(shaped, i), 1, &s[i]))
            goto done;
    }
    ids = PyList_New(0);
    starts = PyList_New(n + 1);
    recent = PyDict_New();
    newline = PyUnicode_FromString("\n");
    if (ids == NULL || starts == NULL || recent == NULL || newline == NULL)
        goto done;
    PyObject *zero = PyLong_FromLong(0);
    if (zero == NULL)
        goto done;
    PyList_SET_ITEM(starts, 0, zero);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *low = PyList_GET_ITEM(lows, i);
        int is_newline = PyUnicode_Check(low) && PyUnicode_Compare(low, newline) == 0;
        if (!is_newline) {
            PyObject *j = PyDict_GetItemWithError(recent, low);
            if (j == NULL && PyErr_Occurred())
                goto done;
            if (j == NULL || i - PyLong_AsSsize_t(j) >= window) {
                PyObject *pos = PyLong_FromSsize_t(i);
                if (pos == NULL)
                    goto done;
                int rc = PyDict_SetItem(recent, low, pos);
                Py_DECREF(pos);
                if (rc < 0)
                    goto done;
                PyObject *own = PyTuple_GET_ITEM(PyList_GET_ITEM(words, i), 0);
                if (!PyTuple_Check(own)) {
                    PyErr_SetString(PyExc_TypeError, "a word entry starts with its feature ids");
                    goto done;
                }
                for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(own); k++) {
                    if (PyList_Append(ids, PyTuple_GET_ITEM(own, k)) < 0)
                        goto done;
                }
            }
        }
        if (i + 1 < n) {
            uint32_t bigram = crc32_continue(w[i].state, w[i + 1].raw, w[i + 1].raw_len) & mask;
            if (keep_gram(&grams, bigram, i, window, ids) < 0)
                goto done;
            uint32_t shape2 = crc32_continue(s[i].state, s[i + 1].raw, s[i + 1].raw_len) & mask;
            if (keep_gram(&grams, shape2, i, window, ids) < 0)
                goto done;
            if (i + 2 < n) {
                uint32_t mid = crc32_continue(s[i].state, s[i + 1].raw_space, s[i + 1].raw_space_len);
                uint32_t shape3 = crc32_continue(mid, s[i + 2].raw, s[i + 2].raw_len) & mask;
                if (keep_gram(&grams, shape3, i, window, ids) < 0)
                    goto done;
            }
        }
        PyObject *end = PyLong_FromSsize_t(PyList_GET_SIZE(ids));
        if (end == NULL)
            goto done;
        PyList_SET_ITEM(starts, i + 1, end);
    }
    result = PyTuple_Pack(2, ids, starts);
done:
    free(w);
    free(s);
    idmap_free(&grams);
    Py_XDECREF(ids);
    Py_XDECREF(starts);
    Py_XDECREF(recent);
    Py_XDECREF(newline);
    return result;
}

/* token_entries(toks, cache, make_entry, sent_end, pet_nouns) -> (entries, lows, words, shaped,
 * candidates, pets): the per-token lists of Featurizer.encode before the n-grams, as
 * shoal.privacy.features._token_entries_py builds them (the tests compare both). Each token's entry
 * is cache[tok], or make_entry(tok) (which fills the cache); a token's shape is its entry's
 * sentence-start shape (entry[3]) after no token or a token in `sent_end`, else its in-sentence
 * shape (entry[2]); candidates are the tokens whose public-name flags (entry[4]) are set; pets the
 * tokens right after an animal noun (a low in `pet_nouns`) that start with an upper-case letter. */
static PyObject *token_entries(PyObject *self, PyObject *args) {
    PyObject *toks, *cache, *make_entry, *sent_end, *pet_nouns;
    if (!PyArg_ParseTuple(args, "O!O!OOO", &PyList_Type, &toks, &PyDict_Type, &cache, &make_entry, &sent_end,
                          &pet_nouns))
        return NULL;
    if (!PyAnySet_Check(sent_end) || !PyAnySet_Check(pet_nouns)) {
        PyErr_SetString(PyExc_TypeError, "sent_end and pet_nouns must be sets");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(toks);
    PyObject *entries = PyList_New(n), *lows = PyList_New(n), *words = PyList_New(n), *shaped = PyList_New(n);
    PyObject *candidates = PyList_New(0), *pets = PyList_New(0);
    PyObject *result = NULL;
    if (!entries || !lows || !words || !shaped || !candidates || !pets)
        goto done;
    int after_end = 1; /* the token before ends a sentence (or there is none) */
    int pet_before = 0; /* the token before is an animal noun */
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *tok = PyList_GET_ITEM(toks, i);
        PyObject *entry = PyDict_GetItemWithError(cache, tok);
        if (entry != NULL) {
            Py_INCREF(entry);
        } else {
            if (PyErr_Occurred())
                goto done;
            entry = PyObject_CallOneArg(make_entry, tok);
            if (entry == NULL)
                goto done;
        }
        if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 5) {
            Py_DECREF(entry);
            PyErr_SetString(PyExc_TypeError, "a token's entry must be a 5-tuple");
            goto done;
        }
        PyList_SET_ITEM(entries, i, entry); /* steals the reference */
        PyObject *low = PyTuple_GET_ITEM(entry, 0);
        PyList_SET_ITEM(lows, i, Py_NewRef(low));
        PyList_SET_ITEM(words, i, Py_NewRef(PyTuple_GET_ITEM(entry, 1)));
        PyList_SET_ITEM(shaped, i, Py_NewRef(PyTuple_GET_ITEM(entry, after_end ? 3 : 2)));
        int flagged = PyObject_IsTrue(PyTuple_GET_ITEM(entry, 4));
        if (flagged < 0)
            goto done;
        if (flagged) {
            PyObject *k = PyLong_FromSsize_t(i);
            if (k == NULL || PyList_Append(candidates, k) < 0) {
                Py_XDECREF(k);
                goto done;
            }
            Py_DECREF(k);
        }
        if (pet_before && PyUnicode_Check(tok) && PyUnicode_GET_LENGTH(tok) > 0 &&
            Py_UNICODE_ISUPPER(PyUnicode_READ_CHAR(tok, 0))) {
            PyObject *k = PyLong_FromSsize_t(i);
            if (k == NULL || PyList_Append(pets, k) < 0) {
                Py_XDECREF(k);
                goto done;
            }
            Py_DECREF(k);
        }
        int ends = PySet_Contains(sent_end, tok);
        int pet = PySet_Contains(pet_nouns, low);
        if (ends < 0 || pet < 0)
            goto done;
        after_end = ends;
        pet_before = pet;
    }
    result = PyTuple_Pack(6, entries, lows, words, shaped, candidates, pets);
done:
    Py_XDECREF(entries);
    Py_XDECREF(lows);
    Py_XDECREF(words);
    Py_XDECREF(shaped);
    Py_XDECREF(candidates);
    Py_XDECREF(pets);
    return result;
}

static PyMethodDef methods[] = {
    {"token_entries", token_entries, METH_VARARGS,
     "token_entries(toks, cache, make_entry, sent_end, pet_nouns) -> (entries, lows, words, shaped, "
     "candidates, pets): see shoal.privacy.features._token_entries_py."},
    {"window_features", window_features, METH_VARARGS,
     "window_features(lows, words, shaped, window, mask) -> (ids, starts): see "
     "shoal.privacy.features._window_features_py."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_windowfeat", NULL, -1, methods};

PyMODINIT_FUNC PyInit__windowfeat(void) {
    make_crc_table();
    return PyModule_Create(&module);
}
